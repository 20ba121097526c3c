package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the golden files in testdata")

const (
	seedPublished = "../../workflows/arazzo/prisma-postgres-backup-and-restore.arazzo.yaml"
	seedRobust    = "../../workflows/arazzo/prisma-postgres-backup-and-restore-robust.arazzo.yaml"
	seedWorkflow  = "backup-and-restore-database"
	flowgraphData = "../../internal/flowgraph/testdata"
)

// runArazzo runs the CLI in-process and returns its exit status, stdout
// and stderr.
func runArazzo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	switch args[0] {
	case "describe", "graph", "validate", "list", "run":
		// The seeds read ../openapi, outside this test's working
		// directory and the documents' own directory.
		args = append([]string{args[0], "--allow-path", "../../workflows"}, args[1:]...)
	}
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func checkGolden(t *testing.T, path string, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/arazzo -run %s -update-golden creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (-update-golden rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDescribeSeedText(t *testing.T) {
	code, out, errs := runArazzo(t, "describe", seedRobust, seedWorkflow)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	checkGolden(t, "testdata/describe-robust.txt", out)
	for _, want := range []string{
		"apiToken     string (password)  required, sensitive",
		"backupLabel  string             optional, default \"arazzo\"",
		"operation: listDatabaseBackups (postgresManagementApi): GET /databases/{databaseId}/backups",
		"- backupFailed: end (the workflow fails) when $response.body#/data/0/status == 'failed'",
		"- waitForBackup: retry after 1s, up to 120 times when $statusCode == 200",
		"request body: application/json",
		"on success: the workflow succeeds",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q", want)
		}
	}

	// The published variant: an onSuccess goto with a JSONPath criterion.
	code, out, _ = runArazzo(t, "describe", seedPublished, seedWorkflow)
	if code != 0 || !strings.Contains(out, `- backupReady: goto restoreBackup when $.data[0].status == "completed" (jsonpath on $response.body)`) ||
		!strings.Contains(out, "- otherwise: next step (restoreBackup)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestDescribeJSON(t *testing.T) {
	code, out, _ := runArazzo(t, "describe", "--format", "json", seedRobust, seedWorkflow)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var d struct {
		WorkflowID string
		Inputs     []struct {
			Name      string
			Required  bool
			Sensitive bool
			Default   any
		}
		Parameters []struct{ Name, In string }
		Steps      []struct {
			StepID    string
			Operation struct{ Source, OperationID, Method, Path string }
			OnFailure []struct {
				Name, Type, Text string
				RetryLimit       int
				RetryAfter       float64
			}
			OtherwiseOnFailure string
		}
		Outputs []struct {
			Name  string
			Value string
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if d.WorkflowID != seedWorkflow || len(d.Steps) != 4 || len(d.Outputs) != 4 || len(d.Parameters) != 2 {
		t.Fatalf("describe = %+v", d)
	}
	if in := d.Inputs[0]; in.Name != "apiToken" || !in.Required || !in.Sensitive {
		t.Errorf("apiToken = %+v", in)
	}
	if in := d.Inputs[2]; in.Name != "backupLabel" || in.Default != "arazzo" || in.Sensitive {
		t.Errorf("backupLabel = %+v", in)
	}
	op := d.Steps[2].Operation
	if op.OperationID != "restoreDatabaseBackup" || op.Method != "POST" || op.Path != "/databases/{databaseId}/backups/{backupId}/restore" || op.Source != "postgresManagementApi" {
		t.Errorf("restoreBackup operation = %+v", op)
	}
	a := d.Steps[1].OnFailure[1]
	if a.Name != "waitForBackup" || a.Type != "retry" || a.RetryLimit != 120 || a.RetryAfter != 1 ||
		a.Text != "retry after 1s, up to 120 times when $statusCode == 200" {
		t.Errorf("poll retry = %+v", a)
	}
	if d.Steps[1].OtherwiseOnFailure != "the workflow fails" {
		t.Errorf("default failure = %q", d.Steps[1].OtherwiseOnFailure)
	}
	if o := d.Outputs[0]; o.Name != "backupId" || o.Value != "$steps.createBackup.outputs.backupId" {
		t.Errorf("output = %+v", o)
	}
}

func TestDescribeAndGraphErrors(t *testing.T) {
	for _, args := range [][]string{
		{"describe", seedRobust, "nope"},
		{"graph", seedRobust, "nope"},
	} {
		code, _, errs := runArazzo(t, args...)
		if code != 2 || !strings.Contains(errs, `no workflow "nope"`) || !strings.Contains(errs, "(workflows: "+seedWorkflow+")") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with the list of workflow ids", args, code, errs)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, args := range [][]string{
		{"describe", seedRobust, seedWorkflow, "--format", "yaml"},
		{"graph", seedRobust, "--format", "svg"},
		{"describe", seedRobust},
		{"graph"},
		{"describe", missing, seedWorkflow},
		{"graph", missing},
	} {
		if code, _, _ := runArazzo(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestGraphCLI checks that the command prints what the flowgraph package's
// golden files (checked by a real DOT parser there) hold.
func TestGraphCLI(t *testing.T) {
	for _, c := range []struct {
		args   []string
		golden string
	}{
		{[]string{"graph", seedRobust, seedWorkflow}, "prisma-robust.mmd"},
		{[]string{"graph", seedRobust, seedWorkflow, "--format", "dot"}, "prisma-robust.dot"},
		{[]string{"graph", seedPublished}, "prisma.all.mmd"},
		{[]string{"graph", "--format", "dot", seedPublished}, "prisma.all.dot"},
		{[]string{"graph", filepath.Join(flowgraphData, "tricky.arazzo.yaml")}, "tricky.all.mmd"},
	} {
		code, out, errs := runArazzo(t, c.args...)
		if code != 0 || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
			continue
		}
		want, err := os.ReadFile(filepath.Join(flowgraphData, c.golden))
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("%v differs from %s:\n%s", c.args, c.golden, out)
		}
	}
	_, out, _ := runArazzo(t, "graph", seedRobust)
	for _, want := range []string{
		"flowchart TD",
		`subgraph w0_graph["backup-and-restore-database"]`,
		`w0_s1 -.->|"waitForBackup: retry ≤120 after 1s<br>when $statusCode == 200"| w0_s1`,
		`w0_s3 --> w0_succeeded`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("mermaid output lacks %q:\n%s", want, out)
		}
	}
}

// TestDescribeDocumentWithErrors: a document with errors is still
// described, with a note on stderr.
func TestDescribeDocumentWithErrors(t *testing.T) {
	flow := cliFixture(t)
	bad := filepath.Join(filepath.Dir(flow), "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(cliFlow, "operationId: getItem", "operationId: nope", 1)), 0o644)
	code, out, errs := runArazzo(t, "describe", bad, "get")
	if code != 0 || !strings.Contains(errs, "has 1 errors") || !strings.Contains(out, "operation: nope [unresolved: ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(out, "token  string (password)  required, sensitive") {
		t.Errorf("format: password input not marked sensitive:\n%s", out)
	}
}
