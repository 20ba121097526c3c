package flowgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const tricky = "testdata/tricky.arazzo.yaml"

var seeds = []string{
	"../../workflows/arazzo/prisma-postgres-backup-and-restore.arazzo.yaml",
	"../../workflows/arazzo/prisma-postgres-backup-and-restore-robust.arazzo.yaml",
}

func load(t *testing.T, path string) *arazzo.Bundle {
	t.Helper()
	b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{})
	if b == nil {
		t.Fatalf("load %s: %v", path, diags)
	}
	if errs := append(diags, arazzo.Validate(b, arazzo.ValidateOptions{})...).Errors(); len(errs) > 0 {
		t.Fatalf("%s has errors: %v", path, errs)
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/flowgraph -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/flowgraph -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// render returns the Mermaid and DOT output for every workflow of a
// document (as `arazzo graph FILE`) or for one (as `arazzo graph FILE ID`).
func render(t *testing.T, b *arazzo.Bundle, id string) (mermaid, dot []byte) {
	t.Helper()
	ws, all := b.Document.Workflows, id == ""
	if !all {
		ws = []*arazzo.Workflow{b.Document.Workflow(id)}
	}
	gs := Build(b, ws)
	var m, d bytes.Buffer
	if err := Mermaid(&m, gs, all); err != nil {
		t.Fatal(err)
	}
	if err := Dot(&d, gs, all); err != nil {
		t.Fatal(err)
	}
	return m.Bytes(), d.Bytes()
}

func TestGraphGolden(t *testing.T) {
	cases := []struct{ file, id, name string }{
		{seeds[0], "", "prisma.all"},
		{seeds[1], "backup-and-restore-database", "prisma-robust"},
		{tricky, "", "tricky.all"},
		{tricky, "graph", "tricky.graph"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, d := render(t, load(t, c.file), c.id)
			golden(t, c.name+".mmd", m)
			golden(t, c.name+".dot", d)
		})
	}
}

// TestRobustPollLoop checks the picture of the showcase poll loop edge by
// edge, independently of the golden file.
func TestRobustPollLoop(t *testing.T) {
	b := load(t, seeds[1])
	g := Build(b, b.Document.Workflows)[0]
	has := func(from, to string, kind EdgeKind, label string) {
		t.Helper()
		for _, e := range g.Edges {
			if e.From == from && e.To == to && e.Kind == kind && strings.Contains(e.Label, label) {
				return
			}
		}
		t.Errorf("no %s edge %s → %s labelled %q in %+v", kind, from, to, label, g.Edges)
	}
	// Steps: createBackup s0, pollBackup s1, restoreBackup s2, waitForRestore s3.
	has("w0_start", "w0_s0", EdgeStart, "")
	has("w0_s0", "w0_s1", EdgeNext, "")
	has("w0_s1", "w0_s1", EdgeRetry, "waitForBackup: retry ≤120 after 1s\nwhen $statusCode == 200")
	has("w0_s1", "w0_ended", EdgeEnd, "backupFailed: end\nwhen $response.body#/data/0/status == 'failed'")
	has("w0_s1", "w0_failed", EdgeFail, "failure")
	has("w0_s3", "w0_s3", EdgeRetry, "stillRestoring: retry ≤300 after 1s")
	has("w0_s3", "w0_succeeded", EdgeNext, "")
	if n := len(g.Nodes); n != 4+4 { // start, 4 steps, succeeded, ended, failed
		t.Errorf("%d nodes, want 8: %+v", n, g.Nodes)
	}
}

func TestTrickyEdges(t *testing.T) {
	b := load(t, tricky)
	g := Build(b, b.Document.Workflows)[0]
	kinds := map[string]NodeKind{}
	for _, n := range g.Nodes {
		kinds[n.ID] = n.Kind
	}
	if kinds["w0_s1"] != NodeNested {
		t.Errorf("the workflow step is not marked nested: %+v", g.Nodes)
	}
	var toWorkflow, retryToStep, unreachable int
	for _, e := range g.Edges {
		switch {
		case kinds[e.To] == NodeWorkflow && e.Kind == EdgeGoto:
			toWorkflow++
		case e.Kind == EdgeRetry && e.From == "w0_s0" && e.To == "w0_s1":
			retryToStep++
		}
		// Step "end" has an unconditional `stop: end` failure action, so
		// the workflow-level giveUp and the default failure never apply
		// to it; step "subgraph" always loops back with `again`.
		if e.From == "w0_s0" && (e.To == "w0_failed" || strings.HasPrefix(e.Label, "giveUp")) ||
			e.From == "w0_s2" && !e.Failure && e.Label != "again: goto" {
			unreachable++
			t.Errorf("edge that can never be taken: %+v", e)
		}
	}
	if toWorkflow != 2 {
		t.Errorf("%d goto edges to the cleanup workflow node, want 2 (from digraph and subgraph)", toWorkflow)
	}
	if retryToStep != 1 {
		t.Errorf("%d retry edges from end to its retry target digraph, want 1", retryToStep)
	}
}

var entity = regexp.MustCompile(`#(\d+);`)

// unmermaid decodes a label as Mermaid does: entity codes and <br>.
func unmermaid(s string) string {
	s = strings.ReplaceAll(s, "<br>", "\n")
	return entity.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[1 : len(m)-1])
		return string(rune(n))
	})
}

func TestMermaidEscaping(t *testing.T) {
	in := "a \"quoted\" [x] {y} (z) a|b #1; 50% <b>&amp; `tick`\nnext\r\nline\\ end %% ≤ é"
	got := mermaidText(in)
	// Nothing Mermaid reads as syntax is left inside the quoted label.
	if i := strings.IndexAny(got, "\"[]{}()|`%\n\r\\&"); i >= 0 {
		t.Errorf("mermaidText(%q) = %q: unescaped %q", in, got, got[i])
	}
	want := strings.ReplaceAll(in, "\r\n", "\n")
	if back := unmermaid(got); back != want {
		t.Errorf("round trip: %q, want %q", back, want)
	}
	// Every label in the tricky outputs is a quoted string made only of
	// safe characters and entity codes.
	m, _ := render(t, load(t, tricky), "")
	label := regexp.MustCompile(`"([^"]*)"`)
	safe := regexp.MustCompile(`^([A-Za-z0-9 .,_\-/$:=+*'!?@^~]|#\d+;|<br>|[^\x00-\x7f])*$`)
	n := 0
	for _, line := range strings.Split(string(m), "\n") {
		for _, l := range label.FindAllStringSubmatch(line, -1) {
			n++
			if !safe.MatchString(l[1]) {
				t.Errorf("unsafe label %q in line %q", l[1], line)
			}
		}
		if strings.Count(line, `"`)%2 != 0 {
			t.Errorf("unbalanced quotes: %q", line)
		}
	}
	if n < 20 {
		t.Errorf("only %d labels found in:\n%s", n, m)
	}
	if !strings.Contains(string(m), `|"skip ahead #91;fast#124;path#93;: goto<br>when $response.body#35;/mode == 'fast'<br>#38;#38; $response.body#35;/note == #34;50#37; #60;done#62;#59; #35;1#34;"|`) {
		t.Errorf("multi-line criterion label not escaped as expected:\n%s", m)
	}
}

func TestDotQuote(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:            `"plain"`,
		`say "hi"`:         `"say \"hi\""`,
		`back\slash \d+`:   `"back\\slash \\d+"`,
		"two\nlines\r\nok": `"two\nlines\nok"`,
		"tab\there":        `"tab here"`,
		`{a|b} [c] <d>`:    `"{a|b} [c] <d>"`,
		`ends with \`:      `"ends with \\"`,
	} {
		if got := dotQuote(in); got != want {
			t.Errorf("dotQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestDotParsesWithGraphviz has Graphviz parse every DOT output and checks
// that each label it read is the one written.
func TestDotParsesWithGraphviz(t *testing.T) {
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("SKIP: Graphviz `dot` is not installed, so DOT output is not checked by a real parser (apt-get install graphviz to run this test)")
	}
	for _, c := range []struct{ file, id string }{{seeds[0], ""}, {seeds[1], ""}, {tricky, ""}, {tricky, "graph"}} {
		b := load(t, c.file)
		_, d := render(t, b, c.id)
		cmd := exec.Command(dotBin, "-Tjson")
		cmd.Stdin = bytes.NewReader(d)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("dot rejected the output for %s: %v %s\n%s", c.file, err, stderr.String(), d)
		}
		var parsed struct {
			Objects []struct{ Name, Label string }
			Edges   []struct {
				Label string
			}
		}
		if err := json.Unmarshal(out, &parsed); err != nil {
			t.Fatal(err)
		}
		ws := b.Document.Workflows
		if c.id != "" {
			ws = []*arazzo.Workflow{b.Document.Workflow(c.id)}
		}
		gs := Build(b, ws)
		// dot -Tjson reports labels as escString source: quotes unescaped,
		// backslash sequences (\n, \\) kept.
		src := func(s string) string {
			q := dotQuote(s)
			return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
		}
		labels := map[string]string{}
		for _, o := range parsed.Objects {
			labels[o.Name] = o.Label
		}
		nEdges := 0
		for _, g := range gs {
			for _, n := range g.Nodes {
				if got := labels[n.ID]; got != src(n.Label) {
					t.Errorf("%s: node %s label read by dot as %q, want %q", c.file, n.ID, got, src(n.Label))
				}
			}
			nEdges += len(g.Edges)
		}
		if len(parsed.Edges) != nEdges {
			t.Errorf("%s: dot read %d edges, want %d", c.file, len(parsed.Edges), nEdges)
		}
	}
}

func TestDescribeTricky(t *testing.T) {
	b := load(t, tricky)
	d := Describe(b, b.Document.Workflow("graph"), nil)
	if got := []string{d.Inputs[0].Name, d.Inputs[1].Name, d.Inputs[2].Name}; strings.Join(got, ",") != "id,secret,count" {
		t.Errorf("inputs not in document order: %v", got)
	}
	sec := d.Inputs[1]
	if !sec.Sensitive || sec.Default != "***" || sec.Required {
		t.Errorf("writeOnly input = %+v, want sensitive with its default masked", sec)
	}
	if d.Inputs[2].Type != "integer|null" || d.Inputs[2].Default != 0 {
		t.Errorf("count = %+v", d.Inputs[2])
	}
	s0 := d.Steps[0]
	if op := s0.Operation; op.Method != "GET" || op.Path != "/things/{id}" || op.Source != "api" || op.Summary != "Get a thing" {
		t.Errorf("resolved operation = %+v", op)
	}
	wantActions := []string{
		`retry after 0.5s, up to 3 times when $statusCode == 503 and $response.header.Retry-After matches /^\d+$/`,
		`run step digraph, then retry at once, up to 2 times when $statusCode == 401`,
		`goto subgraph when $statusCode == 404`,
		`end (the workflow fails)`,
	}
	for i, w := range wantActions {
		if s0.OnFailure[i].Text != w {
			t.Errorf("onFailure[%d] = %q, want %q", i, s0.OnFailure[i].Text, w)
		}
	}
	if s0.InheritedFailure != nil || s0.OtherwiseFailure != "" {
		t.Errorf("an unconditional end comes first, yet inherited %v / otherwise %q", s0.InheritedFailure, s0.OtherwiseFailure)
	}
	if strings.Join(s0.InheritedSuccess, ",") != "finish" || s0.OtherwiseSuccess != "next step (digraph)" {
		t.Errorf("success side: inherited %v, otherwise %q", s0.InheritedSuccess, s0.OtherwiseSuccess)
	}
	if op := d.Steps[1].Operation; op.Kind != "workflow" || op.WorkflowID != "cleanup" || op.Error != "" {
		t.Errorf("nested workflow step = %+v", op)
	}
	if op := d.Steps[2].Operation; op.Kind != "x-operation" || op.Method != "DELETE" || !strings.HasPrefix(op.URL, "http://127.0.0.1:1/v1/things/{$inputs.id}") {
		t.Errorf("x-operation step = %+v", op)
	}
	if got := d.FailureActions[0].Text; got != "goto workflow cleanup when $statusCode >= 500" {
		t.Errorf("workflow failure action = %q", got)
	}
	cl := Describe(b, b.Document.Workflow("cleanup"), []string{"extra"})
	if op := cl.Steps[0].Operation; op.Method != "DELETE" || op.Path != "/things/{id}" || op.OperationPath == "" {
		t.Errorf("operationPath step = %+v", op)
	}
	var text bytes.Buffer
	if err := d.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "tricky.graph.describe.txt", text.Bytes())
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "hunter2") || strings.Contains(string(data), "hunter2") {
		t.Errorf("the default of a writeOnly input leaked")
	}
}

func TestActionTextDefaults(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	for _, c := range []struct {
		a    arazzo.Action
		fail bool
		want string
	}{
		{arazzo.Action{Type: "retry", RetryAfter: f(5), RetryLimit: i(60)}, true, "retry after 5s, up to 60 times"},
		{arazzo.Action{Type: "retry"}, true, "retry at once, up to 1 time (default retryLimit)"},
		{arazzo.Action{Type: "retry", RetryLimit: i(0)}, true, "retry: never (retryLimit 0)"},
		{arazzo.Action{Type: "retry", WorkflowID: "refreshToken", RetryAfter: f(1.5), RetryLimit: i(2)}, true, "run workflow refreshToken, then retry after 1.5s, up to 2 times"},
		{arazzo.Action{Type: "goto", StepID: "restoreBackup", Criteria: []*arazzo.Criterion{{Condition: "$statusCode == 404"}}}, false, "goto restoreBackup when $statusCode == 404"},
		{arazzo.Action{Type: "end"}, false, "end (the workflow succeeds)"},
		{arazzo.Action{Type: "end"}, true, "end (the workflow fails)"},
		{arazzo.Action{Type: "goto", WorkflowID: "$sourceDescriptions.other.wf"}, false, "goto workflow $sourceDescriptions.other.wf"},
	} {
		if got := ActionText(&c.a, c.fail); got != c.want {
			t.Errorf("ActionText(%+v) = %q, want %q", c.a, got, c.want)
		}
	}
}

const doc11 = `arazzo: 1.1.0
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: api, url: ./testdata/api.yaml, type: openapi}
workflows:
  - workflowId: main
    steps:
      - stepId: first
        operationId: getThing
        timeout: 1500
        parameters: [{name: id, in: path, value: "1"}]
        onFailure:
          - name: toCleanup
            type: goto
            workflowId: cleanup
            parameters:
              - {name: thingId, value: $steps.first.outputs.id}
        outputs: {id: $response.body#/id}
      - stepId: second
        dependsOn: [first]
        operationId: getThing
        parameters: [{name: id, in: path, value: "2"}]
  - workflowId: cleanup
    inputs: {type: object, properties: {thingId: {type: string}}}
    steps:
      - stepId: only
        operationId: deleteThing
        parameters: [{name: id, in: path, value: $inputs.thingId}]
`

func TestDescribe11(t *testing.T) {
	b, diags := arazzo.LoadData(context.Background(), "doc11.arazzo.yaml", []byte(doc11), arazzo.LoadOptions{})
	if b == nil {
		t.Fatal(diags)
	}
	if errs := append(diags, arazzo.Validate(b, arazzo.ValidateOptions{})...).Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	d := Describe(b, b.Document.Workflow("main"), nil)
	a := d.Steps[0].OnFailure[0]
	if a.Text != "goto workflow cleanup" || len(a.Parameters) != 1 || a.Parameters[0].Name != "thingId" {
		t.Errorf("goto workflow action = %+v", a)
	}
	if d.Steps[0].TimeoutMs != 1500 || strings.Join(d.Steps[1].DependsOn, ",") != "first" {
		t.Errorf("1.1 step fields: %+v / %+v", d.Steps[0], d.Steps[1])
	}
	var text bytes.Buffer
	d.WriteText(&text)
	for _, want := range []string{
		"timeout: 1500ms",
		"depends on: first",
		"- toCleanup: goto workflow cleanup\n         with inputs:\n           input thingId = $steps.first.outputs.id\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	g := Build(b, []*arazzo.Workflow{b.Document.Workflow("main")})[0]
	found := false
	for _, e := range g.Edges {
		if e.From == "w0_s0" && e.Kind == EdgeGoto && e.Label == "toCleanup: goto" {
			for _, n := range g.Nodes {
				found = found || n.ID == e.To && n.Kind == NodeWorkflow && n.Label == "workflow cleanup"
			}
		}
	}
	if !found {
		t.Errorf("no goto edge to a cleanup workflow node: %+v %+v", g.Nodes, g.Edges)
	}
}
