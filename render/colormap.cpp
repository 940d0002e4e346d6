// Replaced by the renderer.
