package org.alignstream.common.stage;

/**
 * A record that decoded fine but whose content is not acceptable, e.g. {@code "n must be between 1 and 64, was 0"}.
 * Throw it from a {@link StageFunction}: {@link SafeStage} sends the record to dead-letters with this message as reason.
 */
public class InvalidRecordException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** @param message the reason, written for the user who sent the record */
  public InvalidRecordException(String message) {
    super(message);
  }

  public InvalidRecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
