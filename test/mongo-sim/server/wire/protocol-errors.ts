// Failures found while reading a message, before any command runs.

/** The stream cannot be trusted any more: the server closes the connection without replying. */
export class ProtocolViolation extends Error {}
