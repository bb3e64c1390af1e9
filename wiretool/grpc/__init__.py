"""gRPC support above the HTTP/2 transport: message schemas (``schema``) for typed views and requests."""
