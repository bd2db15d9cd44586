package org.alignstream.common.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final AvroSerde<PromptRequest> prompts = AvroSerde.of(PromptRequest.class);
  private final AvroSerde<CandidateSet> candidates = AvroSerde.of(CandidateSet.class);

  @Test
  void roundTripsRecordsWithNestedTypesAndBytes() {
    PromptRequest p = TestRecords.prompt("r1", 4);
    assertThat(prompts.decode(prompts.encode(p))).isEqualTo(p);
    CandidateSet c = TestRecords.candidates(p);
    assertThat(candidates.decode(candidates.encode(c))).isEqualTo(c);
    AvroSerde<DeadLetter> dl = AvroSerde.of(DeadLetter.class);
    DeadLetter d = DeadLetter.newBuilder().setStage("s").setSourceTopic("t").setReason("why")
        .setOriginalKey(ByteBuffer.wrap(new byte[] {1, 2})).setOriginalValue(null).build();
    assertThat(dl.decode(dl.encode(d))).isEqualTo(d);
  }

  @Test
  void writesSingleObjectEncodingWithTheCurrentSchemaFingerprint() {
    byte[] bytes = prompts.encode(TestRecords.prompt("r1", 1));
    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fp = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(fp).isEqualTo(AvroSchemas.fingerprint(PromptRequest.getClassSchema()));
  }

  @Test
  void kafkaSerdePassesNullThrough() {
    assertThat(prompts.serializer().serialize("t", null)).isNull();
    assertThat(prompts.deserializer().deserialize("t", null)).isNull();
    PromptRequest p = TestRecords.prompt("r2", 2);
    assertThat(prompts.deserializer().deserialize("t", prompts.serializer().serialize("t", p))).isEqualTo(p);
  }

  @Test
  void nullBytesAreAnError() {
    assertThatThrownBy(() -> prompts.decode(null))
        .isInstanceOf(AvroDecodeException.class).hasMessage("cannot decode PromptRequest: value is null");
  }

  @Test
  void garbageIsNotSingleObjectEncoding() {
    byte[] garbage = "hello, this is not avro".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> prompts.decode(garbage))
        .isInstanceOf(AvroDecodeException.class)
        .hasMessageContaining("not Avro single-object encoding (starts with 0x68 0x65, expected 0xC3 0x01)");
  }

  @Test
  void tooShortForAHeader() {
    assertThatThrownBy(() -> prompts.decode(new byte[] {(byte) 0xC3, 0x01, 5}))
        .isInstanceOf(AvroDecodeException.class).hasMessageContaining("3 bytes is too short");
  }

  @Test
  void unknownFingerprint() {
    byte[] bytes = prompts.encode(TestRecords.prompt("r1", 1));
    ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x0123456789abcdefL);
    assertThatThrownBy(() -> prompts.decode(bytes))
        .isInstanceOf(AvroDecodeException.class)
        .hasMessageContaining("unknown writer schema fingerprint 0123456789abcdef");
  }

  @Test
  void wrongRecordType() {
    byte[] bytes = candidates.encode(TestRecords.candidates(TestRecords.prompt("r1", 1)));
    assertThatThrownBy(() -> prompts.decode(bytes))
        .isInstanceOf(AvroDecodeException.class)
        .hasMessageContaining("wrong record type, the bytes hold a org.alignstream.avro.CandidateSet,"
            + " expected org.alignstream.avro.PromptRequest");
  }

  @Test
  void everyTruncationIsAnErrorNeverAHalfFilledRecord() {
    byte[] full = candidates.encode(TestRecords.candidates(TestRecords.prompt("r1", 1)));
    for (int len = 10; len < full.length; len++) {
      byte[] cut = Arrays.copyOf(full, len);
      assertThatThrownBy(() -> candidates.decode(cut)).as("length %d of %d", len, full.length)
          .isInstanceOf(AvroDecodeException.class)
          .hasMessageContaining("cannot decode CandidateSet: truncated or corrupt body");
    }
  }

  @Test
  void trailingBytesAreAnError() {
    byte[] full = prompts.encode(TestRecords.prompt("r1", 1));
    byte[] longer = Arrays.copyOf(full, full.length + 3);
    assertThatThrownBy(() -> prompts.decode(longer))
        .isInstanceOf(AvroDecodeException.class).hasMessageContaining("3 unexpected trailing bytes");
  }

  /** Avro's zig-zag varint encoding of {@code v}. */
  private static byte[] varint(long v) {
    long z = (v << 1) ^ (v >> 63);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    while ((z & ~0x7FL) != 0) {
      out.write((int) ((z & 0x7F) | 0x80));
      z >>>= 7;
    }
    out.write((int) z);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Bytes allocated by this thread while {@code r} runs (HotSpot's per-thread counter). */
  private static long allocatedBy(Runnable r) {
    com.sun.management.ThreadMXBean bean =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long before = bean.getThreadAllocatedBytes(id);
    r.run();
    return bean.getThreadAllocatedBytes(id) - before;
  }

  @Test
  void aLengthThatIsNotBackedByBytesIsRefusedBeforeAvroAllocatesIt() {
    byte[] header = Arrays.copyOf(prompts.encode(TestRecords.prompt("r1", 1)), 10);
    // a PromptRequest whose id claims 1 GiB: Avro alone would allocate the gigabyte, then fail (or OOM on a small heap)
    byte[] stringBomb = concat(header, varint(1L << 30), new byte[] {1, 2, 3});
    long allocated = allocatedBy(() -> assertThatThrownBy(() -> prompts.decode(stringBomb))
        .isInstanceOf(AvroDecodeException.class)
        .hasMessageContaining("cannot decode PromptRequest: truncated or corrupt body")
        .hasMessageContaining("a string at byte 10 claims 1073741824 bytes but only 3 are left"));
    assertThat(allocated).as("bytes allocated decoding a 16-byte record").isLessThan(1 << 20);

    // a CandidateSet whose prompt_token_ids claim 2^30 ints after a valid request
    PromptRequest p = TestRecords.prompt("r1", 1);
    byte[] request = prompts.encode(p);
    byte[] cs = candidates.encode(TestRecords.candidates(p));
    byte[] arrayBomb = concat(Arrays.copyOf(cs, 10), Arrays.copyOfRange(request, 10, request.length),
        varint(1L << 30), new byte[] {2, 4, 6});
    allocated = allocatedBy(() -> assertThatThrownBy(() -> candidates.decode(arrayBomb))
        .isInstanceOf(AvroDecodeException.class)
        .hasMessageContaining("a block of 1073741824 items at byte " + (request.length)
            + " cannot fit in the 3 bytes left"));
    assertThat(allocated).as("bytes allocated decoding an array bomb").isLessThan(1 << 20);

    assertThatThrownBy(() -> prompts.decode(concat(header, varint(-5))))
        .isInstanceOf(AvroDecodeException.class).hasMessageContaining("a string at byte 10 has a negative length -5");
  }

  @Test
  void randomBodiesBehindAValidHeaderFailCleanlyAndAllocateInProportionToTheirSize() {
    java.util.Random random = new java.util.Random(42);
    byte[] header = Arrays.copyOf(candidates.encode(TestRecords.candidates(TestRecords.prompt("r1", 1))), 10);
    long worst = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] body = new byte[1 + random.nextInt(64)];
      random.nextBytes(body);
      byte[] bytes = concat(header, body);
      long allocated = allocatedBy(() -> {
        try {
          candidates.decode(bytes);
        } catch (AvroDecodeException expected) {
          // the only way out
        }
      });
      worst = Math.max(worst, allocated);
    }
    // before the check, about 1 body in 600 made Avro allocate hundreds of MB (OutOfMemoryError with -Xmx512m)
    assertThat(worst).as("most bytes allocated decoding one random body of <= 64 bytes").isLessThan(1 << 20);
  }

  @Test
  void encodingARecordWithAMissingRequiredFieldIsAClearError() {
    PromptRequest broken = new PromptRequest();
    assertThatThrownBy(() -> prompts.encode(broken))
        .isInstanceOf(AvroEncodeException.class).hasMessageStartingWith("cannot encode PromptRequest: ");
  }

  @Test
  void trustsGeneratedClassesWithoutTheSystemProperty() {
    ClassSecurityPredicate before = ClassSecurityValidator.getGlobal();
    try {
      // as if the JVM had been started without -Dorg.apache.avro.SERIALIZABLE_PACKAGES
      ClassSecurityValidator.setGlobal(ClassSecurityValidator.DEFAULT_TRUSTED_CLASSES);
      assertThatThrownBy(() -> ClassSecurityValidator.validate(PromptRequest.class))
          .isInstanceOf(SecurityException.class);
      AvroClassTrust.trustGeneratedClasses();
      ClassSecurityValidator.validate(PromptRequest.class);
      assertThat(ClassSecurityValidator.getGlobal().isTrusted(String.class)).isTrue();
      assertThat(ClassSecurityValidator.getGlobal().isTrusted(java.io.File.class)).isFalse();
      AvroSerde<PromptRequest> fresh = AvroSerde.of(PromptRequest.class);
      PromptRequest p = TestRecords.prompt("trust", 3);
      assertThat(fresh.decode(fresh.encode(p))).isEqualTo(p);
    } finally {
      ClassSecurityValidator.setGlobal(before);
    }
  }
}
