"""Every survey write that has rules: surveys and questions, responses, indicator feeds."""
