"""The labels: labelImg VOC files, photos on disk, the labels folder, the objects table, identities
and tag crops."""
