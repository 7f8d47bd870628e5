"""Tests of the local emulator, driven over HTTP on 127.0.0.1."""
