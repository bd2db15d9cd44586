package org.alignstream.common.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A record could not be encoded, typically because a required field is null or of the wrong type. */
public class AvroEncodeException extends SerializationException {

  private static final long serialVersionUID = 1L;

  public AvroEncodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
