"""Blocks to Markdown and to HTML: one list of blocks, so the two cannot drift apart."""

import base64
import html

from cmbench_report.formatting import Note


def md_cell(text):
    plain = str(text).replace("|", "\\|").replace("\n", " ")
    return f"*{plain}*" if isinstance(text, Note) and plain else plain


def render_markdown(blocks):
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            header, rows, numeric = block[1], block[2], block[3]
            rule = ["---:" if numeric and i else "---" for i in range(len(header))]
            lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", f"|{'|'.join(rule)}|"]
            lines += ["| " + " | ".join(md_cell(x) for x in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
        elif kind == "details":
            out.append(f"**{block[1]}**\n\n" + render_markdown(block[2]).rstrip())
    return "\n\n".join(out) + "\n"
CSS = """
body{font-family:system-ui,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1150px;
 margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
h2{border-bottom:2px solid #ddd;margin-top:2.2em} h3{margin-top:1.8em}
table{border-collapse:collapse;margin:.8em 0;font-size:.95em}
th,td{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
th{background:#eef1f4} tr:nth-child(even) td{background:#fafafa}
table.num td{text-align:right;white-space:nowrap} table.num td:first-child{text-align:left}
td.na{color:#888;font-style:italic}
td.faster{color:#1a7f37;font-weight:600} td.slower{color:#b42318;font-weight:600}
img{max-width:100%;height:auto;display:block;margin:1em 0}
details{margin:.5em 0 1.5em} summary{cursor:pointer;color:#0b5394}
"""


def html_cell(tag, text):
    css = "na" if isinstance(text, Note) else getattr(text, "css", "")  # compare's Mark
    css = f' class="{css}"' if css else ""
    return f"<{tag}{css}>{html.escape(str(text))}</{tag}>"


def render_html_blocks(blocks, charts):
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{html.escape(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(html_cell("th", h) for h in block[1])
            rows = "".join("<tr>" + "".join(html_cell("td", x) for x in r) + "</tr>\n"
                           for r in block[2])
            css = ' class="num"' if block[3] else ""
            out.append(f"<table{css}><tr>{head}</tr>\n{rows}</table>")
        elif kind == "img":  # inlined, so the file works offline and as a single attachment
            data = base64.b64encode(charts[block[1]]).decode("ascii")
            out.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(block[2])}">')
        elif kind == "details":
            out.append(f"<details><summary>{html.escape(block[1])}</summary>\n"
                       + render_html_blocks(block[2], charts) + "\n</details>")
    return "\n".join(out)


def render_html(blocks, charts):
    title = html.escape(blocks[0][2]) if blocks and blocks[0][0] == "h" else "cmbench report"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{render_html_blocks(blocks, charts)}\n</body>\n</html>\n")
