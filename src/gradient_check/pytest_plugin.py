"""The pytest plugin (entry point ``pytest11``): a ``gradcheck`` fixture. Filled in by issue 16."""
