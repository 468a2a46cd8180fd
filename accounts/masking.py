"""Masked forms of a real name and a document number: the only forms ever displayed."""


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***, John Smith -> J*** S****."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_document_number(number: str) -> str:
    """11010519491231002X -> 1101**********002X; short numbers keep less."""
    number = (number or "").strip()
    if len(number) >= 12:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    if len(number) >= 6:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return "*" * len(number)
