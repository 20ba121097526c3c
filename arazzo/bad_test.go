package arazzo_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
)

// TestBadDocuments feeds deliberately broken documents through Load and
// Validate: each must give a located error with the expected rule, within a
// second, without panicking.
func TestBadDocuments(t *testing.T) {
	tests := []struct {
		file string
		rule string
		line int // 0: any line > 0
	}{
		{"malformed.yaml", "yaml-syntax", 0},
		{"malformed.json", "yaml-syntax", 0},
		{"alias-bomb.yaml", "yaml-too-large", 0},
		{"deep-nesting.json", "yaml-too-deep", 1},
		{"invalid-utf8.yaml", "invalid-utf8", 3},
		{"wrong-types.yaml", "type-mismatch", 4},
		{"unknown-version.yaml", "version-unsupported", 1},
		{"duplicate-key.yaml", "duplicate-key", 5},
		{"multi-document.yaml", "yaml-multi-document", 0},
		{"empty.yaml", "empty-document", 1},
		{"not-an-object.yaml", "not-an-object", 1},
		{"wrong-types-everywhere.yaml", "type-mismatch", 2},
		{"unknown-version-number.yaml", "version-unsupported", 1},
		{"openapi-source-is-self.arazzo.yaml", "source-load", 4},
		// A $ref cycle between two OpenAPI files drops the operations on
		// it; the step that calls one is reported where it names it.
		{"openapi-ref-cycle.arazzo.yaml", "operation-exists", 9},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			start := time.Now()
			b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{Fetcher: offline()})
			diags = append(diags, arazzo.Validate(b, arazzo.ValidateOptions{})...)
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
			for _, d := range diags.Errors() {
				if d.Rule == tc.rule && d.Line > 0 && (tc.line == 0 || d.Line == tc.line) && d.Column > 0 && strings.HasSuffix(d.File, ".yaml") == strings.HasSuffix(path, ".yaml") {
					t.Logf("%v", d)
					return
				}
			}
			t.Errorf("no %s error (line %d); got:\n%v", tc.rule, tc.line, joinDiags(diags))
		})
	}
}

func joinDiags(ds arazzo.Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

// TestWrongTypesKept checks that values of the wrong type are kept and
// reported at their own position rather than failing the parse.
func TestWrongTypesKept(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bad", "wrong-types.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, diags := arazzo.Parse("wrong-types.yaml", data)
	if doc == nil {
		t.Fatalf("document not built: %v", diags)
	}
	if got := doc.Info.Version; got != "1.0" {
		t.Errorf("info.version = %q, want the scalar kept as written, 1.0", got)
	}
	s := doc.Workflows[0].Steps[0]
	if s.StepID != "42" {
		t.Errorf("stepId = %q, want 42", s.StepID)
	}
	want := map[string]int{"/info/version": 4, "/workflows/0/steps/0/stepId": 12, "/workflows/0/steps/0/operationId": 13, "/workflows/0/steps/0/successCriteria": 14}
	for _, d := range diags {
		if l, ok := want[d.Path]; ok && d.Rule == "type-mismatch" && d.Line == l {
			delete(want, d.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing type-mismatch diagnostics for %v; got\n%s", want, joinDiags(diags))
	}
	// Schema validation does not repeat what the parser reported.
	for _, d := range arazzo.ValidateDocument(doc, arazzo.ValidateOptions{}) {
		if d.Path == "/workflows/0/steps/0/stepId" {
			t.Errorf("reported twice: %v", d)
		}
	}
}
