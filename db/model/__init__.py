"""The incident model: fields, enumerations, validation, positions, local times and the theatre."""
