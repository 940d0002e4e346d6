// Replaced by the GUI sources.
