"""Captures: the file format (``file``), redaction of secrets in stored bytes (``redact``), and requests and
responses rebuilt from stored bytes (``exchanges``). Decoding a capture is the codecs run again."""

from wiretool.capture.file import FORMAT, Capture, CaptureWriter, Chunk, read_capture

__all__ = ["FORMAT", "Capture", "CaptureWriter", "Chunk", "read_capture"]
