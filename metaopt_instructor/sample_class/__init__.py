"""The sample class of ``make demo``: a roster and submissions of every kind (made by ``make``, graded by ``demo``)."""
