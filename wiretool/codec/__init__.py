"""PURE codecs: bytes in, records out. No asyncio, socket, ssl, httpx, rich or click imports here.

Lenient by design: a debugger must show a broken frame, name what is wrong and the RFC section, and
go on. Codecs never raise on hostile input.
"""
