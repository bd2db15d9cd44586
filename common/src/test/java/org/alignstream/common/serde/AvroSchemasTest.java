package org.alignstream.common.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.EditEvent;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PreferenceEvent;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.TokenCredit;
import org.alignstream.avro.TokenSequence;
import org.alignstream.avro.TrainingExample;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class AvroSchemasTest {

  static final List<Schema> GENERATED = List.of(AlignedResponse.getClassSchema(), Candidate.getClassSchema(),
      CandidateSet.getClassSchema(), DeadLetter.getClassSchema(), DecodeState.getClassSchema(), EditEvent.getClassSchema(),
      FeedbackEvent.getClassSchema(), ModelRef.getClassSchema(), PreferenceEvent.getClassSchema(),
      RewardModelVersion.getClassSchema(), TokenCredit.getClassSchema(), TokenSequence.getClassSchema(),
      TrainingExample.getClassSchema(),
      PromptRequest.getClassSchema(), ScoredCandidateSet.getClassSchema(), Strategy.getClassSchema());

  @Test
  void currentSchemasOnTheClasspathAreExactlyTheGeneratedClasses() {
    AvroSchemas schemas = AvroSchemas.get();
    assertThat(schemas.current().keySet())
        .containsExactlyInAnyOrderElementsOf(GENERATED.stream().map(Schema::getFullName).toList());
    for (Schema generated : GENERATED) {
      assertThat(AvroSchemas.fingerprint(schemas.current(generated.getName())))
          .as(generated.getName()).isEqualTo(AvroSchemas.fingerprint(generated));
    }
  }

  @Test
  void everyHistoryFileIsParsedAndEveryRecordHasAVersion1() {
    AvroSchemas schemas = AvroSchemas.get();
    for (Schema generated : GENERATED) {
      List<SchemaVersion> versions = schemas.history(generated.getName());
      assertThat(versions).as(generated.getName()).isNotEmpty();
      assertThat(versions.get(0).version()).isEqualTo(1);
      assertThat(versions.get(0).resource()).isEqualTo("alignstream/schemas/history/" + generated.getName() + ".v1.avsc");
    }
  }

  @Test
  void storeFindsEveryCurrentAndHistoricalSchemaByFingerprint() {
    AvroSchemas schemas = AvroSchemas.get();
    for (Schema s : schemas.current().values()) {
      assertThat(schemas.store().findByFingerprint(AvroSchemas.fingerprint(s))).isEqualTo(s);
    }
    for (SchemaVersion v : schemas.history()) {
      assertThat(AvroSchemas.fingerprint(schemas.store().findByFingerprint(v.fingerprint())))
          .isEqualTo(v.fingerprint());
    }
    assertThat(schemas.store().findByFingerprint(0x1234_5678_9abc_def0L)).isNull();
  }

  @Test
  void unknownNameIsAClearError() {
    assertThatThrownBy(() -> AvroSchemas.get().current("Nope"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no current schema named Nope");
  }

  @Test
  void missingIndexIsAClearError() {
    ClassLoader empty = new ClassLoader(null) {};
    assertThatThrownBy(() -> AvroSchemas.load(empty))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("alignstream/schemas/index.txt not found");
  }

  /**
   * Java's parsing canonical form drops every property, python-avro 1.11's keeps those of a primitive type (a string
   * with {@code "avro.java.string"} stays {@code {"type":"string",...}}), so such a property in a file that clients in
   * other languages parse would give them another fingerprint than Java's and their records would be dead-lettered.
   */
  @Test
  void noHistoryFileHasPropertiesOnPrimitiveTypes() {
    List<String> found = new ArrayList<>();
    for (SchemaVersion v : AvroSchemas.get().history()) {
      primitivesWithProperties(v.schema(), v.resource(), new IdentityHashMap<>(), found);
    }
    assertThat(found).as("properties on primitive types (write the type as a plain name, e.g. \"string\")").isEmpty();
  }

  @Test
  void aPropertyOnAPrimitiveTypeIsFound() {
    // the generated classes carry avro.java.string (stringType=String), so their schemas must be found
    List<String> found = new ArrayList<>();
    primitivesWithProperties(DeadLetter.getClassSchema(), "DeadLetter", new IdentityHashMap<>(), found);
    assertThat(found).contains("DeadLetter: string with {avro.java.string=String}");
  }

  static void primitivesWithProperties(Schema s, String where, Map<Schema, Boolean> seen, List<String> found) {
    if (seen.put(s, Boolean.TRUE) != null) {
      return;
    }
    switch (s.getType()) {
      case RECORD -> s.getFields().forEach(f -> primitivesWithProperties(f.schema(), where, seen, found));
      case ARRAY -> primitivesWithProperties(s.getElementType(), where, seen, found);
      case MAP -> {
        if (!s.getObjectProps().isEmpty()) {
          found.add(where + ": map with " + s.getObjectProps());
        }
        primitivesWithProperties(s.getValueType(), where, seen, found);
      }
      case UNION -> s.getTypes().forEach(t -> primitivesWithProperties(t, where, seen, found));
      case ENUM, FIXED -> { }
      default -> {
        if (!s.getObjectProps().isEmpty()) {
          found.add(where + ": " + s.getType().getName() + " with " + s.getObjectProps());
        }
      }
    }
  }
}
