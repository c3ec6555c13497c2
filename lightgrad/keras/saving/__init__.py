"""Keras model saving: ``.keras`` zips of JSON config + safetensors weights."""
