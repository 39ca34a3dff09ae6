// The Jinja interpreter's semantics (checked against Jinja2 3.1 in transformers' sandboxed
// environment: the expected strings were printed by it) and its sandbox bounds on hostile
// templates: typed errors naming line:column, never a crash.

import Foundation
import Testing
@testable import DICEKit

@Suite("Jinja interpreter and sandbox")
struct JinjaSandboxTests {
    func render(_ source: String, _ variables: [String: JinjaValue] = [:], limits: JinjaLimits = JinjaLimits()) throws -> String {
        try JinjaTemplate(source: source, limits: limits).render(variables, options: JinjaOptions(limits: limits))
    }

    func error(_ source: String, limits: JinjaLimits = JinjaLimits()) -> JinjaError? {
        do {
            _ = try render(source, limits: limits)
            return nil
        } catch {
            return error as? JinjaError
        }
    }

    @Test("Python semantics as Jinja2 prints them")
    func semantics() throws {
        #expect(try render("{% for i in [1,2] %}{% if i == 2 %}{{ x }}{% endif %}{% set x = i %}{% endfor %}|{{x}}") == "|")
        #expect(try render("{% if true %}{% set y = 3 %}{% endif %}{{ y }}") == "3")
        #expect(try render(#"{{ 1.0 }} {{ 1e15 }} {{ 1e16 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1/3 }} {{ [1,"a",none,true,{"k":1.5}] }}"#)
            == "1.0 1000000000000000.0 1e+16 0.0001 1e-05 0.3333333333333333 [1, 'a', None, True, {'k': 1.5}]")
        #expect(try render(#"{{ "abc"[::-1] }} {{ [1,2,3][-2:] }} {{ 7 // -2 }} {{ -7 % 3 }} {{ 2**10 }}"#) == "cba [2, 3] -4 2 1024")
        #expect(try render(#"{{ "a b  c".split() }} {{ "a,b".split(",") }} {{ "x" * 3 }} {{ 2 * "y" }} {{ [0] * 2 }} {{ 2 * [1] }}"#)
            == "['a', 'b', 'c'] ['a', 'b'] xxx yy [0, 0] [1, 1]")
        #expect(try render("{{ u }}|{{ u|length }}|{{ u is iterable }}|{{ (u ~ 1) }}") == "|0|True|1")
        #expect(try render(#"{{ "  x  "|trim }}|{{ none }}|{{ true }}|{{ [] | first }}"#) == "x|None|True|")
        #expect(try render(#"{{ 3 is number }} {{ true is number }} {{ true is boolean }} {{ "a" is sequence }}"#) == "True True True True")
        var x = JinjaDict()
        x["a"] = .array([.int(1), .double(2.5), .string("é\n")])
        x["b"] = JinjaValue.none
        x["c"] = .bool(true)
        #expect(try render("{{ x|tojson }}", ["x": .dict(x)]) == #"{"a": [1, 2.5, "é\n"], "b": null, "c": true}"#)
        var y = JinjaDict()
        y["a"] = .array([.int(1), .dict(JinjaDict())])
        y["b"] = .array([])
        #expect(try render("{{ x|tojson(indent=2) }}", ["x": .dict(y)]) == "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}")
        // Whitespace control as transformers configures it (trim_blocks, lstrip_blocks).
        #expect(try render("a\n  {% if true %}\n  b\n  {% endif %}\nc\n") == "a\n  b\nc")
        #expect(try render("a  {%- if true -%}  b  {%- endif %}") == "ab")
        #expect(try render("{% set ns = namespace(n=0) %}{% for m in [1,2,3] if m > 1 %}{% set ns.n = ns.n + m %}{{ loop.index }}/{{ loop.length }}{% endfor %}={{ ns.n }}")
            == "1/22/2=5")
        #expect(try render("{% macro f(a, b='B') %}[{{ a }}{{ b }}]{% endmacro %}{{ f(1) }}{{ f(2, b=3) }}") == "[1B][23]")
        #expect(try render("{% for k, v in d|items %}{{ k }}={{ v }};{% else %}none{% endfor %}", ["d": .dict(JinjaDict())]) == "none")
    }

    @Test("errors name line and column")
    func positions() {
        let syntax = error("a\n  {{ 1 + }}")
        #expect(syntax?.kind == .syntax)
        #expect(syntax?.line == 2 && syntax?.column == 10)
        let raised = error("x\n{{ raise_exception('no system role') }}")
        #expect(raised?.kind == .raised && raised?.message == "no system role" && raised?.line == 2)
        #expect(raised?.description.contains("line 2, column") == true)
        let undefined = error("{{ x.y }}")
        #expect(undefined?.kind == .undefined && undefined?.message == "'x' is undefined" && undefined?.column == 5)
        #expect(error("{% set l = [1] %}{{ l.append(2) }}")?.kind == .security)
        #expect(error("{% set ns = namespace() %}{% set ns._x = 1 %}")?.kind == .security)
        #expect(error("{{ 'a' + 1 }}")?.kind == .type)
        // str * str and list * list are Python TypeErrors (they recursed until the stack overflowed:
        // Fuzz/Corpus/FuzzChatTemplate/crash-string-times-string.jinja, found by `make fuzz`).
        #expect(error("{{ 'a' * 'b' }}")?.kind == .type)
        #expect(error("{{ [1] * [2] }}")?.kind == .type)
        #expect(error("{% if x %}")?.kind == .syntax)
        #expect(error("{% recursive %}")?.kind == .syntax)
        #expect(error("{{ 'unterminated }}")?.kind == .syntax)
    }

    @Test("hostile templates hit the sandbox bounds")
    func bounds() throws {
        let small = JinjaLimits(maxOutput: 100_000)
        #expect(error("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", limits: small)?.kind == .limit)
        let text = error("{% for i in range(100000) %}\n  xxxxxxxxxx{% endfor %}", limits: small)
        #expect(text?.kind == .limit && text?.line == 2 && text?.column == 1)
        #expect(error("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}")?.kind == .limit)
        #expect(error("{{ 'x' * 9223372036854775807 }}")?.kind == .limit)
        let recursion = error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}")
        #expect(recursion?.kind == .limit && recursion?.line == 1)
        let loops = error("{% for a in range(100000) %}\n{% for b in range(100000) %}{% endfor %}{% endfor %}",
                          limits: JinjaLimits(maxIterations: 20_000))
        #expect(loops?.kind == .limit && loops?.line == 2)
        #expect(error("{{ range(100001)|length }}")?.kind == .limit)
        #expect(error("{{ " + String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500) + " }}")?.kind == .limit)
        #expect(error("{{ " + Array(repeating: "1", count: 1000).joined(separator: " + ") + " }}")?.kind == .limit)
        #expect(error(String(repeating: "{% if true %}", count: 500) + String(repeating: "{% endif %}", count: 500))?.kind == .limit)
        #expect(error("{{ 9223372036854775807 + 1 }}")?.kind == .limit)
        #expect(error("{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}")?.kind == .limit)
        #expect(try render("{{ [1, 2, 3][1::9223372036854775807] }} {{ range(0, 9223372036854775807, 9223372036854775807) }}") == "[2] [0]")
    }
}
