package org.alignstream.common.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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
}
