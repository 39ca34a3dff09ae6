// ReportPageStyle: the report page's CSS, inline (system fonts only: nothing is fetched).

/// The page's style sheet.
enum ReportPageStyle {
    /// The CSS text.
    static let css = """
    :root { color-scheme: light; --ink: #212529; --muted: #6c757d; --line: #dee2e6; --soft: #f1f3f5; --accent: #1c7ed6; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
    header { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: #f8f9fa; }
    h1 { margin: 0 0 4px; font-size: 22px; }
    h2 { font-size: 18px; margin: 26px 0 8px; }
    h3 { font-size: 16px; margin: 22px 0 8px; padding-top: 12px; border-top: 1px solid var(--line); }
    h4 { font-size: 14px; margin: 16px 0 6px; color: #343a40; }
    main { padding: 0 28px 40px; max-width: 1500px; }
    code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
    .folder, .path, .note, figcaption { color: var(--muted); }
    figcaption { font-size: 12px; max-width: 460px; }
    .problems { border: 1px solid #f5c2c7; background: #fff5f5; padding: 4px 16px 8px; margin-top: 16px; border-radius: 6px; }
    .problems h2 { color: #c92a2a; margin-top: 10px; }
    .missing { color: #c92a2a; background: #fff5f5; padding: 4px 8px; border-radius: 4px; display: inline-block; }
    nav ul { columns: 3 220px; padding-left: 18px; margin: 0; }
    table { border-collapse: collapse; margin: 8px 0; }
    th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
    thead th { background: var(--soft); font-weight: 600; }
    .settings th { font-weight: 500; color: var(--muted); }
    tr.ablation td { color: #495057; }
    .ci { color: var(--muted); font-size: 12px; }
    .cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
    .cards div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 130px; }
    .cards dt { color: var(--muted); font-size: 12px; }
    .cards dd { margin: 0; font-weight: 600; }
    .charts { display: flex; flex-wrap: wrap; gap: 12px 22px; align-items: flex-start; }
    figure { margin: 6px 0; }
    svg.chart { display: block; max-width: 100%; height: auto; font-size: 11px; font-family: inherit; }
    svg .chart-title { font-size: 13px; font-weight: 600; fill: var(--ink); }
    svg .tick, svg .legend { fill: #495057; }
    svg .axis-label { fill: var(--muted); }
    svg .grid { stroke: #edf0f2; }
    svg .axis { stroke: #868e96; }
    .pair-table { margin: 8px 0 20px; }
    .pair-controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin-bottom: 6px; }
    .pair-search { width: 280px; padding: 4px 8px; font: inherit; border: 1px solid #ced4da; border-radius: 4px; }
    .pair-count { font-weight: 600; }
    table.pairs { width: 100%; table-layout: fixed; font-size: 13px; }
    table.pairs caption { text-align: left; color: var(--muted); caption-side: bottom; padding-top: 4px; }
    table.pairs th { cursor: pointer; user-select: none; overflow-wrap: anywhere; }
    table.pairs th[aria-sort="ascending"]::after { content: " ▲"; }
    table.pairs th[aria-sort="descending"]::after { content: " ▼"; }
    table.pairs th:nth-child(1), table.pairs th:nth-child(n+5) { width: 7.5%; }
    table.pairs td.text div { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 4.4em; overflow: hidden; }
    table.pairs tr.open td.text div { max-height: none; }
    table.pairs tbody tr { cursor: pointer; }
    table.pairs tbody tr:hover { background: #f8f9fa; }
    td.num { font-variant-numeric: tabular-nums; text-align: right; }
    td.unknown { color: var(--muted); font-style: italic; }
    #page-check { color: var(--muted); font-size: 12px; margin-top: 30px; }
    #page-errors:empty { display: none; }
    #page-errors { color: #c92a2a; white-space: pre-wrap; }
    """
}
