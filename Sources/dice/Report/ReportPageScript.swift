// ReportPageScript: the report page's JavaScript, inline — the error capture (first, in <head>)
// and the pair tables: search, sort, pages, rows expanded on click; only the visible page of
// rows is in the DOM, so 10,000 pairs stay responsive. A test hook: `report.html#search=WORD`
// applies the search to every table on load.

/// The page's scripts.
enum ReportPageScript {
    /// Records uncaught errors, unhandled rejections and console.error calls, so that the page
    /// (and a headless browser's DOM dump) shows them in #page-errors and <body data-errors>.
    static let errorCapture = #"""
    (function () {
      var errors = window.__reportErrors = [];
      function show() {
        var box = document.getElementById('page-errors');
        if (box) { box.textContent = errors.join('\n'); }
        if (document.body) { document.body.setAttribute('data-errors', String(errors.length)); }
      }
      window.__reportRecord = function (message) { errors.push(String(message)); show(); };
      window.addEventListener('error', function (e) {
        window.__reportRecord('error: ' + e.message + ' (' + (e.filename || '') + ':' + (e.lineno || 0) + ')');
      });
      window.addEventListener('unhandledrejection', function (e) { window.__reportRecord('unhandled rejection: ' + e.reason); });
      var original = console.error;
      console.error = function () {
        window.__reportRecord('console.error: ' + Array.prototype.join.call(arguments, ' '));
        return original.apply(console, arguments);
      };
      document.addEventListener('DOMContentLoaded', show);
    })();
    """#

    /// The pair tables and the page check.
    static let main = #"""
    (function () {
      'use strict';
      var scriptStart = performance.now();
      var data = JSON.parse(document.getElementById('report-data').textContent);
      // Row fields: 0 prompt index, 1 prompt, 2 chosen, 3 rejected, 4 r chosen, 5 r rejected,
      // 6 |chosen|, 7 |rejected|, 8 trained on (1/0); 9 margin (added here).
      var COLUMNS = [
        { field: 0, numeric: true }, { field: 1, text: true }, { field: 2, text: true }, { field: 3, text: true },
        { field: 4, numeric: true }, { field: 5, numeric: true }, { field: 9, numeric: true },
        { field: 6, numeric: true }, { field: 7, numeric: true }, { field: 8, numeric: true }
      ];
      function fmt(x) {
        if (x === null || x === undefined || !isFinite(x)) { return '–'; }
        var a = Math.abs(x);
        if (a !== 0 && (a < 1e-3 || a >= 1e6)) { return x.toExponential(3); }
        return String(Math.round(x * 10000) / 10000);
      }
      function Table(element, table) {
        this.el = element;
        this.rows = table.rows;
        for (var i = 0; i < this.rows.length; i++) {
          var r = this.rows[i];
          r[9] = (r[4] === null || r[5] === null) ? null : r[4] - r[5];
        }
        this.order = this.rows.map(function (_, i) { return i; });
        this.shown = this.order;
        this.query = '';
        this.sortColumn = -1;
        this.descending = false;
        this.page = 0;
        this.pageSize = 50;
        this.haystack = null;
        this.body = element.querySelector('tbody');
        this.count = element.querySelector('.pair-count');
        this.label = element.querySelector('.page-label');
        this.search = element.querySelector('.pair-search');
        var self = this, timer = null;
        this.search.addEventListener('input', function () {
          clearTimeout(timer);
          timer = setTimeout(function () { self.filter(self.search.value); }, 120);
        });
        element.querySelector('.pair-page-size').addEventListener('change', function (e) {
          self.pageSize = parseInt(e.target.value, 10) || 50;
          self.page = 0;
          self.render();
        });
        element.querySelector('.prev').addEventListener('click', function () { self.turn(-1); });
        element.querySelector('.next').addEventListener('click', function () { self.turn(1); });
        var heads = element.querySelectorAll('thead th');
        Array.prototype.forEach.call(heads, function (th, k) {
          function sort() { self.sortBy(k); }
          th.addEventListener('click', sort);
          th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
        });
        this.body.addEventListener('click', function (e) {
          var tr = e.target.closest('tr');
          if (tr && tr.parentNode === self.body) { tr.classList.toggle('open'); }
        });
      }
      Table.prototype.filter = function (query) {
        this.query = query;
        var q = query.trim().toLowerCase();
        if (q === '') {
          this.shown = this.order;
        } else {
          if (this.haystack === null) {
            this.haystack = this.rows.map(function (r) {
              return ((r[1] || '') + '\u0001' + r[2] + '\u0001' + r[3] + '\u0001#' + r[0]).toLowerCase();
            });
          }
          var hay = this.haystack;
          this.shown = this.order.filter(function (i) { return hay[i].indexOf(q) !== -1; });
        }
        if (this.search.value !== query) { this.search.value = query; }
        this.page = 0;
        this.render();
      };
      Table.prototype.sortBy = function (k) {
        if (this.sortColumn === k) { this.descending = !this.descending; } else { this.sortColumn = k; this.descending = false; }
        var column = COLUMNS[k], rows = this.rows, sign = this.descending ? -1 : 1;
        var field = column.field;
        this.order = this.rows.map(function (_, i) { return i; }).sort(function (a, b) {
          var x = rows[a][field], y = rows[b][field];
          if (x === null && y === null) { return a - b; }
          if (x === null) { return 1; }
          if (y === null) { return -1; }
          if (!column.numeric) { x = String(x).toLowerCase(); y = String(y).toLowerCase(); }
          return x < y ? -sign : x > y ? sign : a - b;
        });
        var heads = this.el.querySelectorAll('thead th');
        for (var h = 0; h < heads.length; h++) {
          if (h === k) { heads[h].setAttribute('aria-sort', this.descending ? 'descending' : 'ascending'); }
          else { heads[h].removeAttribute('aria-sort'); }
        }
        this.filter(this.query);
      };
      Table.prototype.turn = function (delta) {
        var pages = Math.max(1, Math.ceil(this.shown.length / this.pageSize));
        this.page = Math.min(pages - 1, Math.max(0, this.page + delta));
        this.render();
      };
      Table.prototype.render = function () {
        var total = this.rows.length, n = this.shown.length;
        var pages = Math.max(1, Math.ceil(n / this.pageSize));
        var start = this.page * this.pageSize, end = Math.min(n, start + this.pageSize);
        var fragment = document.createDocumentFragment();
        for (var k = start; k < end; k++) {
          var r = this.rows[this.shown[k]], tr = document.createElement('tr');
          for (var c = 0; c < COLUMNS.length; c++) {
            var column = COLUMNS[c], value = r[column.field], td = document.createElement('td');
            if (column.text) {
              td.className = 'text';
              var div = document.createElement('div');
              if (value === null) { td.className = 'text unknown'; div.textContent = 'prompt #' + r[0] + ' (text not in train.jsonl)'; }
              else { div.textContent = value; }
              td.appendChild(div);
            } else if (column.field === 8) {
              td.textContent = value ? 'yes' : 'no';
            } else {
              td.className = 'num';
              td.textContent = column.field === 0 || column.field === 6 || column.field === 7 ? String(value) : fmt(value);
            }
            tr.appendChild(td);
          }
          fragment.appendChild(tr);
        }
        if (n === 0) {
          var empty = document.createElement('tr'), cell = document.createElement('td');
          cell.colSpan = COLUMNS.length;
          cell.textContent = total === 0 ? 'No pairs in this round.' : 'No pair matches “' + this.query + '”.';
          empty.appendChild(cell);
          fragment.appendChild(empty);
        }
        this.body.textContent = '';
        this.body.appendChild(fragment);
        this.count.setAttribute('data-shown', String(n));
        this.count.textContent = (n === total ? total + ' pairs' : n + ' of ' + total + ' pairs match') +
          (n > 0 ? ' · showing ' + (start + 1) + '–' + end : '');
        this.label.textContent = 'page ' + (n === 0 ? 0 : this.page + 1) + ' of ' + (n === 0 ? 0 : pages);
      };

      var tables = [];
      Array.prototype.forEach.call(document.querySelectorAll('.pair-table'), function (element) {
        var table = data.tables[parseInt(element.getAttribute('data-table'), 10)];
        if (table) { tables.push(new Table(element, table)); }
      });
      // The search of the hash, timed (data-search-ms: filtering and drawing every table).
      function applyHash() {
        var match = /(?:^#|&)search=([^&]*)/.exec(location.hash);
        var query = match ? decodeURIComponent(match[1].replace(/\+/g, ' ')) : '';
        var start = performance.now();
        tables.forEach(function (t) { t.filter(query); });
        document.body.setAttribute('data-search-ms', String(Math.round(performance.now() - start)));
        var shown = tables.reduce(function (s, t) { return s + t.shown.length; }, 0);
        document.body.setAttribute('data-pairs-shown', String(shown));
        return query;
      }
      window.addEventListener('hashchange', applyHash);
      var query = applyHash();

      // Page check: every chart has a size, every table rendered.
      var charts = document.querySelectorAll('svg.chart'), drawn = 0;
      Array.prototype.forEach.call(charts, function (svg) {
        var box = svg.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) { drawn++; }
      });
      var total = tables.reduce(function (s, t) { return s + t.rows.length; }, 0);
      var shown = tables.reduce(function (s, t) { return s + t.shown.length; }, 0);
      document.body.setAttribute('data-charts-drawn', String(drawn));
      document.getElementById('page-status').textContent = 'Script ran: ' + drawn + ' of ' + charts.length +
        ' charts drawn, ' + tables.length + ' pair tables, ' + total + ' pairs' +
        (query ? ', ' + shown + ' matching “' + query + '”' : '') + ', ' + window.__reportErrors.length + ' script errors.';
      document.body.setAttribute('data-script-ms', String(Math.round(performance.now() - scriptStart)));
      document.body.setAttribute('data-report-status', 'ready');
    })();
    """#
}
