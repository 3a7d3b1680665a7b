"""What the inventory tests share: ansible-inventory's --list output, read back as the plugin wrote it."""


def unwrap(value):
    """ansible-inventory --list marks values read from the cluster as unsafe: {"__ansible_unsafe": v}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value
