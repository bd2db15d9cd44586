package org.alignstream.common.serde;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.UnresolvedUnionException;

/**
 * Messages of Avro exceptions without the values some of them embed: an {@link UnresolvedUnionException} prints the
 * value that is not in its union, "Unknown datum type" errors print the datum. Such a value can be a user's prompt or
 * a response, and exception messages end up in logs and dead-letter reasons, which must not carry user text.
 */
public final class AvroErrors {

  private AvroErrors() {}

  /** {@code t}'s message, with any embedded value replaced by its type; null if it has none. */
  public static String message(Throwable t) {
    if (t instanceof UnresolvedUnionException u) {
      Object datum = u.getUnresolvedDatum();
      Schema union = u.getUnionSchema();
      return "a " + (datum == null ? "null" : datum.getClass().getSimpleName()) + " value is not in the union "
          + (union == null || union.getType() != Schema.Type.UNION ? "?" : union.getTypes().stream()
              .map(Schema::getName).toList()) + " (value not shown)";
    }
    String message = t.getMessage();
    if (message != null && t instanceof AvroRuntimeException && message.startsWith("Unknown datum type ")) {
      int value = message.indexOf(": ");
      return (value < 0 ? message : message.substring(0, value)) + " (value not shown)";
    }
    return message;
  }

  /** Whether {@code t} or one of its causes is an exception whose own message would show a value. */
  public static boolean carriesValue(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof UnresolvedUnionException
          || (c instanceof AvroRuntimeException && String.valueOf(c.getMessage()).startsWith("Unknown datum type "))) {
        return true;
      }
    }
    return false;
  }
}
