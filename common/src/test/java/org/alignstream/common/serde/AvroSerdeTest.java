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
