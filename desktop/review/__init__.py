"""The supervisors' review: the queue, decisions and conflict resolution."""
