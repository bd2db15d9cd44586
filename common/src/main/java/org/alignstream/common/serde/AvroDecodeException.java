package org.alignstream.common.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes could not be decoded into the expected Avro record: not single-object encoded, truncated or corrupt, written
 * with an unknown schema, or holding a different record type. The message says which, in words a user can act on.
 * Decoding never returns a half-filled record instead of throwing this.
 */
public class AvroDecodeException extends SerializationException {

  private static final long serialVersionUID = 1L;

  public AvroDecodeException(String message) {
    super(message);
  }

  public AvroDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
