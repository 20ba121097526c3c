package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const reportAPI = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

// reportFlow has one error whose message holds '%' and ':' (an unknown
// operationId) and one warning with a hint (a poll step without retry).
const reportFlow = `arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: jobs
    steps:
      - stepId: poll
        operationId: getJob
        parameters:
          - {name: id, in: path, value: "1"}
        successCriteria:
          - condition: $response.body#/status == 'done'
      - stepId: discount
        operationId: "50%off"
`

// reportFixture writes the documents into a new directory, makes it the
// working directory, and returns the document's name relative to it.
func reportFixture(t *testing.T, name string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(reportAPI), 0o644)
	os.WriteFile(filepath.Join(dir, name), []byte(reportFlow), 0o644)
	t.Chdir(dir)
	return name
}

type diagJSON struct {
	Severity, Rule, Message, Hint string
	Line, Column                  int
}

func validateJSON(t *testing.T, file string) []diagJSON {
	t.Helper()
	_, out, _ := runArazzo(t, "validate", "--format", "json", file)
	var rep struct {
		Files []struct{ Diagnostics []diagJSON }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Files) != 1 {
		t.Fatalf("json report: %v\n%s", err, out)
	}
	return rep.Files[0].Diagnostics
}

var ghCommand = regexp.MustCompile(`^::(error|warning|notice) ([^:]*)::(.*)$`)

// ghUnescape reverses the Actions runner's escaping of data (%25, %0D,
// %0A) and properties (also %3A, %2C).
func ghUnescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

func TestValidateGitHubFormat(t *testing.T) {
	file := reportFixture(t, "flow, v1: 100%.yaml")
	want := validateJSON(t, file)
	if len(want) < 2 {
		t.Fatalf("fixture should have an error and a warning: %+v", want)
	}
	code, out, errs := runArazzo(t, "validate", "--format", "github", file)
	if code != 1 {
		t.Errorf("exit %d, want 1 (the document has an error)", code)
	}
	if !strings.Contains(errs, file+": 1 errors, 1 warnings") {
		t.Errorf("summary not on stderr: %q", errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d commands for %d diagnostics:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		m := ghCommand.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a workflow command: %q", line)
		}
		props := map[string]string{}
		for _, kv := range strings.Split(m[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			props[k] = ghUnescape(v)
		}
		d := want[i]
		wantMsg := d.Message
		if d.Hint != "" {
			wantMsg += "\nhint: " + d.Hint
		}
		if m[1] != d.Severity || props["file"] != file || props["line"] != strconv.Itoa(d.Line) ||
			props["col"] != strconv.Itoa(d.Column) || props["title"] != d.Rule || ghUnescape(m[3]) != wantMsg {
			t.Errorf("command %q\ndecodes to %s %v %q\nwant %+v", line, m[1], props, ghUnescape(m[3]), d)
		}
	}
	// The escaping itself, on the literal output.
	for _, want := range []string{
		"file=flow%2C v1%3A 100%25.yaml,line=",
		`no OpenAPI source defines operationId "50%25off"`,
		"%0Ahint: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") || strings.Count(out, "\n") != len(want) {
		t.Errorf("a raw line break inside a command:\n%q", out)
	}
}

func TestGitHubEscaping(t *testing.T) {
	if got := ghData("100% done\r\nnext: a,b"); got != "100%25 done%0D%0Anext: a,b" {
		t.Errorf("ghData = %q", got)
	}
	if got := ghProperty("C:\\dir,x\n%"); got != "C%3A\\dir%2Cx%0A%25" {
		t.Errorf("ghProperty = %q", got)
	}
}

func loadSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(testdataDir(t), "sarif-2.1.0-rtm.5.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testdataDir is this package's testdata, whatever the working directory.
var pkgDir, _ = os.Getwd()

func testdataDir(t *testing.T) string { return filepath.Join(pkgDir, "testdata") }

type sarifOut struct {
	Schema  string `json:"$schema"`
	Version string
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID               string
					ShortDescription struct{ Text string }
				}
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
					Region           *struct{ StartLine, StartColumn int }
				}
			}
		}
	}
}

func TestValidateSARIF(t *testing.T) {
	schema := loadSARIFSchema(t)
	file := reportFixture(t, "flow 1.arazzo.yaml")
	want := validateJSON(t, file)
	abs, _ := filepath.Abs(file)
	// A relative and an absolute name of a file under the working
	// directory both give a relative URI.
	for _, arg := range []string{file, abs} {
		code, out, _ := runArazzo(t, "validate", "--format", "sarif", arg)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("SARIF output does not match the SARIF 2.1.0 schema: %v\n%s", err, out)
		}
		var s sarifOut
		json.Unmarshal([]byte(out), &s)
		if s.Version != "2.1.0" || len(s.Runs) != 1 || s.Schema == "" {
			t.Fatalf("sarif = %+v", s)
		}
		run := s.Runs[0]
		d := run.Tool.Driver
		if d.Name != "arazzo" || d.Version == "" || !strings.HasPrefix(d.InformationURI, "https://") {
			t.Errorf("driver = %+v", d)
		}
		ids := map[string]int{}
		for i, r := range d.Rules {
			if _, dup := ids[r.ID]; dup || r.ShortDescription.Text == "" {
				t.Errorf("rule %d %+v duplicated or without description", i, r)
			}
			ids[r.ID] = i
		}
		if len(run.Results) != len(want) {
			t.Fatalf("%d results for %d diagnostics", len(run.Results), len(want))
		}
		for i, r := range run.Results {
			w := want[i]
			level := map[string]string{"error": "error", "warning": "warning", "info": "note"}[w.Severity]
			loc := r.Locations[0].PhysicalLocation
			if r.RuleID != w.Rule || r.Level != level || !strings.HasPrefix(r.Message.Text, w.Message) ||
				ids[r.RuleID] != r.RuleIndex || d.Rules[r.RuleIndex].ID != r.RuleID ||
				loc.ArtifactLocation.URI != "flow%201.arazzo.yaml" ||
				loc.Region == nil || loc.Region.StartLine != w.Line || loc.Region.StartColumn != w.Column {
				t.Errorf("result %d = %+v (location %+v), want %+v", i, r, loc, w)
			}
		}
		if d.Rules[ids["poll-without-retry"]].ShortDescription.Text != ruleDescriptions["poll-without-retry"] {
			t.Errorf("rules = %+v", d.Rules)
		}
	}

	// --output writes the report to a file; stdout stays empty.
	outFile := filepath.Join(t.TempDir(), "arazzo.sarif")
	code, stdout, _ := runArazzo(t, "validate", "--format", "sarif", "--output", outFile, file)
	data, err := os.ReadFile(outFile)
	if code != 1 || stdout != "" || err != nil {
		t.Fatalf("--output: exit %d, stdout %q, %v", code, stdout, err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err := schema.Validate(inst); err != nil {
		t.Errorf("--output file does not match the SARIF schema: %v", err)
	}

	// A file outside the working directory gets an absolute file URI; a
	// clean document gives a run with no results, still valid.
	t.Chdir(t.TempDir())
	_, out, _ := runArazzo(t, "validate", "--format", "sarif", abs)
	var s sarifOut
	json.Unmarshal([]byte(out), &s)
	if uri := s.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "file://"+filepath.ToSlash(strings.ReplaceAll(abs, " ", "%20")) {
		t.Errorf("uri of a file outside the working directory = %q", uri)
	}
	code, out, _ = runArazzo(t, "validate", "--format", "sarif", "--allow-path", filepath.Join(pkgDir, "../../workflows"), filepath.Join(pkgDir, seedRobust))
	inst, _ = jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err := schema.Validate(inst); code != 0 || err != nil || !strings.Contains(out, `"results": []`) {
		t.Errorf("clean document: exit %d, %v\n%s", code, err, out)
	}
}

func TestValidateFailOn(t *testing.T) {
	published := filepath.Join(pkgDir, seedPublished) // warnings only
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"validate", published}, 0},
		{[]string{"validate", "--fail-on", "error", published}, 0},
		{[]string{"validate", "--fail-on", "warning", published}, 1},
		{[]string{"validate", "--fail-on", "warning", "--format", "sarif", published}, 1},
		{[]string{"validate", "--fail-on", "warning", filepath.Join(pkgDir, seedRobust)}, 0},
		{[]string{"validate", "--fail-on", "info", published}, 2},
		{[]string{"validate", "--format", "xml", published}, 2},
		{[]string{"validate", "--fail-on", "warning", filepath.Join(t.TempDir(), "missing.yaml")}, 2},
	} {
		// The seeds read ../openapi: outside this test's working directory.
		args := append(c.args, "--allow-path", filepath.Join(pkgDir, "../../workflows"))
		if code, _, errs := runArazzo(t, args...); code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.code, errs)
		}
	}
	file := reportFixture(t, "flow.yaml")
	if code, _, _ := runArazzo(t, "validate", "--fail-on", "warning", file); code != 1 {
		t.Errorf("errors and warnings with --fail-on warning: exit %d, want 1", code)
	}
	if code, _, errs := runArazzo(t, "validate", "--output", filepath.Join(file, "x", "y.txt"), file); code != 2 || !strings.Contains(errs, "--output") {
		t.Errorf("unwritable --output: exit %d, %q", code, errs)
	}
}
