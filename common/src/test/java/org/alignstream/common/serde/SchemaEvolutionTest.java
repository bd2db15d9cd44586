package org.alignstream.common.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Build-time guard of schema evolution: every released version in {@code schemas/history} must still be readable by the
 * current generated classes through {@link AvroSerde}, and every current schema must be snapshotted as the latest
 * version. The negative tests prove the check fails on incompatible changes.
 */
class SchemaEvolutionTest {

  private static final int SAMPLES = 40;

  @TestFactory
  List<DynamicTest> everyHistoricalVersionIsReadByTheCurrentClasses() {
    List<DynamicTest> tests = new ArrayList<>();
    for (SchemaVersion old : AvroSchemas.get().history()) {
      tests.add(DynamicTest.dynamicTest(old.name() + " v" + old.version(), () -> {
        AvroSerde<?> serde = AvroSerde.of(generatedClass(old.name()));
        List<String> problems = SchemaEvolutionCheck.check(serde.schema(), old.schema(), serde::decode, SAMPLES,
            old.name().hashCode() * 31L + old.version());
        assertThat(problems).as("reading %s with the current classes", old.resource()).isEmpty();
      }));
    }
    assertThat(tests).hasSizeGreaterThanOrEqualTo(8);
    return tests;
  }

  @Test
  void everyCurrentSchemaIsSnapshottedAsItsLatestVersion() {
    AvroSchemas schemas = AvroSchemas.get();
    assertThat(SchemaEvolutionCheck.missingSnapshots(schemas.current(), schemas.history())).isEmpty();
  }

  @Test
  void aFieldAddedWithoutADefaultIsCaught() {
    Schema old = PromptRequest.getClassSchema();
    Schema evolved = withExtraField(old, new Schema.Field("priority", Schema.create(Schema.Type.INT), "no default"));
    List<String> problems = SchemaEvolutionCheck.check(evolved, old, genericDecoder(evolved, old), 5, 1);
    assertThat(problems).anyMatch(p -> p.startsWith("incompatible: READER_FIELD_MISSING_DEFAULT_VALUE")
        && p.contains("priority"));
    // and the real round trip fails too, for every sample
    assertThat(problems).filteredOn(p -> p.startsWith("sample ")).hasSize(5);
  }

  @Test
  void aChangedFieldTypeIsCaught() {
    Schema old = Strategy.getClassSchema();
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : old.getFields()) {
      fields.add(f.name().equals("n") ? new Schema.Field("n", Schema.create(Schema.Type.STRING), f.doc())
          : new Schema.Field(f, f.schema()));
    }
    Schema evolved = Schema.createRecord(old.getName(), old.getDoc(), old.getNamespace(), false, fields);
    List<String> problems = SchemaEvolutionCheck.check(evolved, old, genericDecoder(evolved, old), 5, 2);
    assertThat(problems).anyMatch(p -> p.startsWith("incompatible: TYPE_MISMATCH at /fields/1/type"));
  }

  @Test
  void aFieldAddedWithADefaultPassesTheSameCheck() {
    Schema old = PromptRequest.getClassSchema();
    Schema evolved = withExtraField(old, new Schema.Field("priority", Schema.create(Schema.Type.INT), "default 0", 0));
    assertThat(SchemaEvolutionCheck.check(evolved, old, genericDecoder(evolved, old), 20, 3)).isEmpty();
  }

  @Test
  void aChangedSchemaWithoutANewSnapshotIsCaught() {
    AvroSchemas schemas = AvroSchemas.get();
    Map<String, Schema> current = new LinkedHashMap<>(schemas.current());
    Schema old = PromptRequest.getClassSchema();
    current.put(old.getFullName(),
        withExtraField(old, new Schema.Field("priority", Schema.create(Schema.Type.INT), "default 0", 0)));
    List<SchemaVersion> versions = schemas.history("PromptRequest");
    int latest = versions.get(versions.size() - 1).version();
    assertThat(SchemaEvolutionCheck.missingSnapshots(current, schemas.history()))
        .containsExactly("PromptRequest (or a type nested in it) differs from its latest snapshot"
            + " alignstream/schemas/history/PromptRequest.v" + latest + ".avsc: snapshot it as history/PromptRequest.v"
            + (latest + 1) + ".avsc (see schemas/README.md)");
  }

  private static Function<byte[], Object> genericDecoder(Schema reader, Schema writer) {
    SchemaStore.Cache store = new SchemaStore.Cache();
    store.addSchema(writer);
    BinaryMessageDecoder<Object> decoder = new BinaryMessageDecoder<>(GenericData.get(), reader, store);
    return bytes -> {
      try {
        return decoder.decode(bytes);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  private static Schema withExtraField(Schema record, Schema.Field extra) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : record.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(extra);
    return Schema.createRecord(record.getName(), record.getDoc(), record.getNamespace(), false, fields);
  }

  @SuppressWarnings("unchecked")
  private static Class<? extends SpecificRecord> generatedClass(String simpleName) throws ClassNotFoundException {
    return (Class<? extends SpecificRecord>) Class.forName(AvroClassTrust.TRUSTED_PACKAGE + "." + simpleName);
  }
}
