//! A small document model rendered both as Markdown and as self-contained HTML (plots inlined
//! as SVG), so the two reports always say the same thing.

/// One block of a report.
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// A header row and body rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A plot: Markdown links `plots/<stem>.svg`, HTML inlines the SVG text.
    Figure {
        stem: String,
        caption: String,
        svg: String,
    },
    /// Preformatted text (e.g. the spec) with its language for Markdown fences.
    Code(String, String),
    /// `key: value` lines.
    List(Vec<(String, String)>),
}

/// Renders `blocks` under the title `title` as Markdown.
pub fn to_markdown(title: &str, blocks: &[Block]) -> String {
    let mut out = format!("# {title}\n\n");
    for block in blocks {
        match block {
            Block::Heading(h) => out.push_str(&format!("## {h}\n\n")),
            Block::Paragraph(p) => out.push_str(&format!("{p}\n\n")),
            Block::Table(header, rows) => {
                let cell = |s: &String| s.replace('|', "\\|");
                out.push_str(&format!(
                    "| {} |\n",
                    header.iter().map(cell).collect::<Vec<_>>().join(" | ")
                ));
                out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
                for row in rows {
                    out.push_str(&format!(
                        "| {} |\n",
                        row.iter().map(cell).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push('\n');
            }
            Block::Figure { stem, caption, .. } => {
                out.push_str(&format!("![{stem}](plots/{stem}.svg)\n\n*{caption}*\n\n"));
            }
            Block::Code(lang, text) => {
                out.push_str(&format!("```{lang}\n{}\n```\n\n", text.trim_end()))
            }
            Block::List(items) => {
                for (k, v) in items {
                    out.push_str(&format!("- **{k}**: {v}\n"));
                }
                out.push('\n');
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders `blocks` as one HTML file with no external references.
pub fn to_html(title: &str, blocks: &[Block]) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>\n\
         body{{font-family:'DejaVu Sans',sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}}\n\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}\n\
         th{{background:#f2f2f2}}td:first-child,th:first-child{{text-align:left}}\n\
         pre{{background:#f6f6f6;padding:1em;overflow-x:auto}}figure{{margin:1.5em 0}}figure svg{{max-width:100%;height:auto}}\n\
         figcaption{{color:#555;font-style:italic}}\n</style></head><body>\n<h1>{t}</h1>\n",
        t = escape(title)
    );
    for block in blocks {
        match block {
            Block::Heading(h) => out.push_str(&format!("<h2>{}</h2>\n", escape(h))),
            Block::Paragraph(p) => out.push_str(&format!("<p>{}</p>\n", escape(p))),
            Block::Table(header, rows) => {
                out.push_str("<table><tr>");
                for h in header {
                    out.push_str(&format!("<th>{}</th>", escape(h)));
                }
                out.push_str("</tr>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for c in row {
                        out.push_str(&format!("<td>{}</td>", escape(c)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Figure { caption, svg, .. } => {
                let svg = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
                out.push_str(&format!(
                    "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
                    escape(caption)
                ));
            }
            Block::Code(_, text) => out.push_str(&format!("<pre>{}</pre>\n", escape(text))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for (k, v) in items {
                    out.push_str(&format!("<li><b>{}</b>: {}</li>\n", escape(k), escape(v)));
                }
                out.push_str("</ul>\n");
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_carry_the_same_table_and_escape_html() {
        let blocks = [
            Block::Table(
                vec!["a".into(), "b".into()],
                vec![vec!["1".into(), "<x>".into()]],
            ),
            Block::Figure {
                stem: "p".into(),
                caption: "cap".into(),
                svg: "<?xml version=\"1.0\"?><svg></svg>".into(),
            },
        ];
        let md = to_markdown("T", &blocks);
        assert!(md.contains("| a | b |\n|---|---|\n| 1 | <x> |"));
        assert!(md.contains("![p](plots/p.svg)"));
        let html = to_html("T", &blocks);
        assert!(html.contains("<td>&lt;x&gt;</td>"));
        assert!(html.contains("<figure><svg></svg>"));
        assert!(!html.contains("<?xml"));
    }
}
