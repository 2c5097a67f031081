"""`write_template(kind, path)`: the XLSX template the household and visit imports expect.

Sheet 1 (住户 / 走访): the Chinese headers (required ones in bold red), one example row (the
importer recognises and skips it if left in place), the ID number and phone columns formatted as
text ('@') so Excel keeps every digit, yes/no drop-downs. Sheet 2 (填写说明): one line per column.
"""
from __future__ import annotations

from pathlib import Path

from grid.imports.columns import COLUMNS, INSTRUCTIONS_SHEET, SHEET_NAMES, column_letter

TEXT_ROWS = 2000  # rows covered by the yes/no drop-downs
KINDS = tuple(COLUMNS)


def example_row(kind: str) -> dict:
    return {col.field: col.example for col in COLUMNS[kind]}


def write_template(kind: str, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if kind not in COLUMNS:
        raise ValueError(f"未知的模板类型“{kind}”，可选：{'、'.join(KINDS)}")
    columns = COLUMNS[kind]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAMES[kind]
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True,
                            error="请填 是 或 否", errorTitle="是/否")
    ws.add_data_validation(yes_no)
    grey = Font(color="808080", italic=True)
    for pos, col in enumerate(columns):
        letter = column_letter(pos)
        head = ws.cell(row=1, column=pos + 1, value=col.header)
        head.font = Font(bold=True, color="C00000" if col.required else "000000")
        head.fill = PatternFill("solid", fgColor="F2F2F2")
        head.comment = Comment(("必填。" if col.required else "选填。") + col.help_zh, "jizhen")
        ws.column_dimensions[letter].width = max(12, len(col.header) * 2 + 4)
        text_column = col.kind in ("id", "phone")
        if text_column:  # the column style: Excel, WPS and LibreOffice apply it to new cells
            ws.column_dimensions[letter].number_format = "@"
        example = ws.cell(row=2, column=pos + 1, value=col.example if col.example != "" else None)
        example.font = grey
        if text_column:
            example.value = str(col.example) if col.example != "" else None
            example.number_format = "@"
        if col.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if col.kind == "bool":
            yes_no.add(f"{letter}2:{letter}{TEXT_ROWS + 1}")
    ws.freeze_panes = "A2"

    info = wb.create_sheet(INSTRUCTIONS_SHEET)
    what = "住户名册" if kind == "households" else "入户走访记录"
    lines = [
        f"{what}导入模板（jizhen import {kind} 文件.xlsx）",
        "1. 第1行为列名，请勿修改；从第2行起每行一条。第2行灰色斜体为示例，可直接覆盖；若保留不改，导入时会自动跳过。",
        "2. 身份证号、电话两列已设为“文本”格式。请不要把身份证号粘贴成数字：Excel 会把它变成科学计数法并丢失后几位，导入时会逐行报错。",
        "3. 是/否 列可填：是/否、Y/N、1/0、true/false；留空视为“否”。",
        "4. 整个文件全部通过校验后才会一次性写入；有任何问题都会逐行列出（行号与 Excel 中的行号一致），且不写入任何数据。",
    ]
    if kind == "households":
        lines.append("5. 经纬度为十进制度（CGCS2000 ≈ WGS84）；坐标必须落在某个网格内，否则列为“网格外住户”。同一户主身份证号只能出现一次，且不能与系统中已有住户重复。")
    else:
        lines.append("5. 住户按户主身份证号查找（须已导入）。网格员：填写电话时按电话在全镇查找；未填电话时按姓名在该户所在网格内查找（同名时请填电话）。走访日期不能晚于今天；同一住户、同一网格员、同一天的走访只能登记一次。")
    for i, text in enumerate(lines, start=1):
        info.cell(row=i, column=1, value=text).font = Font(bold=(i == 1))
    start = len(lines) + 2
    for pos, title in enumerate(("列名", "必填", "说明", "示例", "也可识别的列名")):
        info.cell(row=start, column=pos + 1, value=title).font = Font(bold=True)
    for i, col in enumerate(columns, start=start + 1):
        info.cell(row=i, column=1, value=col.header)
        info.cell(row=i, column=2, value="是" if col.required else "否")
        info.cell(row=i, column=3, value=col.help_zh)
        info.cell(row=i, column=4, value=str(col.example))
        info.cell(row=i, column=5, value="、".join(col.headers[1:]))
    info.column_dimensions["A"].width = 24
    info.column_dimensions["C"].width = 70
    info.column_dimensions["E"].width = 50
    wb.save(path)
    return path
