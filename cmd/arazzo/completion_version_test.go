package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const completionFlow = `arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions:
  - {name: backupApi, url: ./api.yaml, type: openapi}
  - {name: other, url: ./api.yaml, type: openapi}
workflows:
  - workflowId: backup
    summary: Take a backup
    inputs:
      type: object
      properties:
        databaseId: {type: string, description: The database}
        apiToken: {type: string, format: password}
    steps:
      - {stepId: a, operationId: $sourceDescriptions.backupApi.getItem, parameters: [{name: id, in: path, value: $inputs.databaseId}]}
  - workflowId: restore
    summary: |
      Restore it
      from a backup
    inputs:
      type: object
      properties:
        backupId: {type: string}
        databaseId: {type: string}
    steps:
      - {stepId: b, operationId: $sourceDescriptions.other.getItem, parameters: [{name: id, in: path, value: $inputs.backupId}]}
`

func completionFixture(t *testing.T) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(cliAPI), 0o644)
	path := filepath.Join(dir, "flow.yaml")
	os.WriteFile(path, []byte(completionFlow), 0o644)
	return path
}

// complete runs cobra's hidden __complete command and returns the
// candidates and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errs := runArazzo(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d %s", args, code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	flow := completionFixture(t)
	for _, c := range []struct {
		args      []string
		want      []string
		directive string
	}{
		// WORKFLOW arguments, with summaries as descriptions.
		{[]string{"describe", flow, ""}, []string{"backup\tTake a backup", "restore\tRestore it"}, ":4"},
		{[]string{"describe", flow, "re"}, []string{"restore\tRestore it"}, ":4"},
		{[]string{"graph", flow, ""}, []string{"backup\tTake a backup", "restore\tRestore it"}, ":4"},
		// FILE: the shell's own file completion.
		{[]string{"describe", ""}, nil, ":0"},
		{[]string{"describe", flow, "backup", ""}, nil, ":4"},
		// run --workflow, --input NAME= (no space after), --server SOURCE=.
		{[]string{"run", flow, "--workflow", ""}, []string{"backup\tTake a backup", "restore\tRestore it"}, ":4"},
		{[]string{"run", flow, "--input", ""}, []string{"apiToken=", "databaseId=\tThe database", "backupId="}, ":6"},
		{[]string{"run", flow, "--workflow", "restore", "--input", ""}, []string{"backupId=", "databaseId="}, ":6"},
		{[]string{"run", flow, "-w", "backup", "-i", "data"}, []string{"databaseId=\tThe database"}, ":6"},
		{[]string{"run", flow, "--input", "databaseId="}, nil, ":4"},
		{[]string{"run", flow, "--server", ""}, []string{"backupApi=\t./api.yaml", "other=\t./api.yaml"}, ":6"},
		{[]string{"run", "--input", ""}, nil, ":4"},
		// Fixed values.
		{[]string{"validate", "--format", ""}, []string{"text", "json", "github", "sarif"}, ":4"},
		{[]string{"validate", "--fail-on", ""}, []string{"error", "warning"}, ":4"},
		{[]string{"graph", "--format", ""}, []string{"mermaid", "dot"}, ":4"},
	} {
		got, dir := complete(t, c.args...)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") || dir != c.directive {
			t.Errorf("__complete %v:\n got %q %s\nwant %q %s", c.args, got, dir, c.want, c.directive)
		}
	}
	// A file that does not parse completes nothing, without an error.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("{not yaml"), 0o644)
	if got, dir := complete(t, "describe", bad, ""); len(got) != 0 || dir != ":4" {
		t.Errorf("unparsable file: %q %s", got, dir)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "__start_arazzo",
		"zsh":        "#compdef arazzo",
		"fish":       "complete -c arazzo",
		"powershell": "Register-ArgumentCompleter",
	} {
		code, out, errs := runArazzo(t, "completion", shell)
		if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q; want a script with %q", shell, code, len(out), errs, want)
		}
	}
	if code, _, _ := runArazzo(t, "completion", "tcsh"); code != 2 {
		t.Errorf("unknown shell: exit %d, want 2", code)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runArazzo(t, "version")
	if code != 0 || !strings.HasPrefix(out, "arazzo ") || !strings.Contains(out, runtime.Version()) || !strings.Contains(out, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("version: exit %d\n%s", code, out)
	}
	code, out, _ = runArazzo(t, "version", "--format", "json")
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
		t.Fatalf("version --format json: exit %d, %v\n%s", code, err, out)
	}
	if v.Version == "" || v.GoVersion != runtime.Version() || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version json = %+v", v)
	}
	// go test binaries carry build info for the module under test.
	if !strings.HasPrefix(v.Module, "github.com/go-arazzo/arazzo") {
		t.Errorf("module = %q, want the build info's main module", v.Module)
	}
	if code, _, _ := runArazzo(t, "version", "--format", "yaml"); code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
}
