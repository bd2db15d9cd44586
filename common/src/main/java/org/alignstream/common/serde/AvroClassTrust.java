package org.alignstream.common.serde;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Makes Avro 1.12's class-loading guard ({@link ClassSecurityValidator}) trust the generated classes in
 * {@value #TRUSTED_PACKAGE}, so decoding works whether or not the JVM was started with
 * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro}. Whatever was trusted before (the system
 * properties, a predicate set by the application) stays trusted: the new global predicate is the old one OR our package.
 * {@link AvroSerde} calls {@link #trustGeneratedClasses()} when it is first used.
 */
public final class AvroClassTrust {

  /** The package of the classes generated from {@code schemas/*.avsc}. */
  public static final String TRUSTED_PACKAGE = "org.alignstream.avro";

  private AvroClassTrust() {}

  /** Idempotent: adds {@value #TRUSTED_PACKAGE} to Avro's global trusted classes unless it is already trusted. */
  public static synchronized void trustGeneratedClasses() {
    ClassSecurityPredicate global = ClassSecurityValidator.getGlobal();
    if (global.isTrusted(org.alignstream.avro.DeadLetter.class)) {
      return;
    }
    ClassSecurityPredicate ours = type -> TRUSTED_PACKAGE.equals(type.getPackageName());
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(global, ours));
  }
}
