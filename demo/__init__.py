"""The bundled demo: a small government site served on 127.0.0.1 with planted problems."""
