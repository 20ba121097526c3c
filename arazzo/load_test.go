package arazzo_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/internal/fetch"
	"github.com/go-arazzo/arazzo/internal/testutil"
)

func loadPets(t *testing.T) *arazzo.Bundle {
	t.Helper()
	b, diags := arazzo.Load(context.Background(), filepath.Join("testdata", "ok", "pets.arazzo.yaml"), arazzo.LoadOptions{Fetcher: offline()})
	if b == nil || len(diags) > 0 {
		t.Fatalf("load: %v", diags)
	}
	return b
}

func TestLoadSources(t *testing.T) {
	b := loadPets(t)
	for name, kind := range map[string]string{"petstore": arazzo.SourceOpenAPI, "store": arazzo.SourceOpenAPI, "sub": arazzo.SourceArazzo} {
		src := b.Source(name)
		if src == nil || src.Err != nil || src.Kind != kind {
			t.Fatalf("source %s = %+v, want kind %s loaded", name, src, kind)
		}
	}
	if b.Source("store").OpenAPI == nil || b.Source("sub").Arazzo == nil {
		t.Fatal("source documents not set")
	}
	if got := b.Source("store").Location; got != filepath.Join("testdata", "ok", "store.openapi.yaml") {
		t.Errorf("store location = %q", got)
	}
}

func TestLoadResolvesComponents(t *testing.T) {
	w := loadPets(t).Document.Workflow("adopt")
	p := w.Step("get").Parameters[0]
	if p.Ref == nil || p.Name != "petId" || p.In != arazzo.InPath || p.Value != "$steps.list.outputs.firstId" {
		t.Errorf("parameter not resolved with value override: %+v", p)
	}
	a := w.Step("get").OnFailure[0]
	if a.Ref == nil || a.Type != arazzo.ActionRetry || a.RetryAfter == nil || *a.RetryAfter != 1.5 || *a.RetryLimit != 3 || a.Kind != arazzo.FailureAction {
		t.Errorf("failure action not resolved: %+v", a)
	}
}

func TestResolveOperation(t *testing.T) {
	b := loadPets(t)
	w := b.Document.Workflow("adopt")
	for step, want := range map[string]string{"list": "petstore GET /pets", "get": "petstore GET /pets/{petId}", "orders": "store GET /orders"} {
		ro, err := b.ResolveOperation(w.Step(step))
		if err != nil {
			t.Errorf("%s: %v", step, err)
			continue
		}
		if got := ro.Source + " " + ro.Operation.Method + " " + ro.Operation.Path; got != want {
			t.Errorf("%s resolved to %s, want %s", step, got, want)
		}
	}
	// listPets exists in both OpenAPI sources: a bare operationId is ambiguous.
	_, err := b.ResolveOperation(&arazzo.Step{StepID: "x", OperationID: "listPets"})
	if err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("bare listPets: err = %v, want ambiguity", err)
	}
	_, err = b.ResolveOperation(&arazzo.Step{StepID: "x", OperationID: "nope"})
	if err == nil {
		t.Error("unknown operationId resolved")
	}
}

func TestResolveOperationPathVariants(t *testing.T) {
	b := loadPets(t)
	for _, op := range []string{
		"{$sourceDescriptions.petstore.url}#/paths/~1pets~1{petId}/get",
		"$sourceDescriptions.petstore.url#/paths/~1pets~1{petId}/get",
		"petstore#/paths/~1pets~1{petId}/get",
		"./petstore.openapi.yaml#/paths/~1pets~1{petId}/get",
		"{$sourceDescriptions.petstore.url}#/paths//pets/{petId}/get",
		"{$sourceDescriptions.petstore.url}#/paths/~1pets~1%7BpetId%7D/get",
	} {
		ro, err := b.ResolveOperation(&arazzo.Step{StepID: "s", OperationPath: op})
		if err != nil || ro.Operation.Path != "/pets/{petId}" || ro.Operation.Method != http.MethodGet {
			t.Errorf("%s: %+v, %v", op, ro, err)
		}
	}
	if _, err := b.ResolveOperation(&arazzo.Step{StepID: "s", OperationPath: "{$sourceDescriptions.nope.url}#/paths/~1pets/get"}); err == nil {
		t.Error("unknown source resolved")
	}
}

// TestJenticRunnerOperationPaths runs the operationPath pointer cases of
// the jentic runner corpus: the source given by name or by url.
func TestJenticRunnerOperationPaths(t *testing.T) {
	root := testutil.ConformanceDir(t, "jentic-runner", "test_data")
	var cases struct {
		OperationPathPointerCases struct {
			Cases []struct {
				Source  string `json:"source"`
				Pointer string `json:"pointer"`
				Expect  *struct {
					Path, Method, OperationID string
				} `json:"expect"`
			} `json:"cases"`
		} `json:"operation_path_pointer_cases"`
	}
	readJSON(t, filepath.Join(root, "cases.json"), &cases)
	doc := `arazzo: 1.0.1
info: {title: t, version: "1"}
sourceDescriptions: [{name: petstore, url: "https://petstore.example.com/v1", type: openapi}]
workflows: [{workflowId: w, steps: [{stepId: s, operationId: listPets}]}]
`
	spec := filepath.Join(root, "petstore", "petstore.openapi.yaml")
	b, diags := arazzo.LoadData(context.Background(), "mem.arazzo.yaml", []byte(doc), arazzo.LoadOptions{
		Fetcher: offline(), MapLocation: func(string) string { return spec }})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	for _, tc := range cases.OperationPathPointerCases.Cases {
		ro, err := b.ResolveOperation(&arazzo.Step{StepID: "s", OperationPath: tc.Source + "#" + tc.Pointer})
		if tc.Expect == nil {
			if err == nil {
				t.Errorf("%s#%s resolved, want not found", tc.Source, tc.Pointer)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s#%s: %v", tc.Source, tc.Pointer, err)
			continue
		}
		if ro.Operation.Path != tc.Expect.Path || !strings.EqualFold(ro.Operation.Method, tc.Expect.Method) ||
			tc.Expect.OperationID != "" && ro.Operation.ID != tc.Expect.OperationID {
			t.Errorf("%s#%s = %s %s %s, want %+v", tc.Source, tc.Pointer, ro.Operation.Method, ro.Operation.Path, ro.Operation.ID, *tc.Expect)
		}
	}
}

func TestResolveWorkflow(t *testing.T) {
	b := loadPets(t)
	sub, w, err := b.ResolveWorkflow("$sourceDescriptions.sub.helper")
	if err != nil || w.WorkflowID != "helper" || sub == b {
		t.Fatalf("got %v, %v", w, err)
	}
	// The sub-document's steps resolve against its own sources.
	if ro, err := sub.ResolveOperation(w.Steps[0]); err != nil || ro.Operation.ID != "createPet" {
		t.Errorf("sub step: %v, %v", ro, err)
	}
	if bb, w, err := b.ResolveWorkflow("adopt"); err != nil || bb != b || w.WorkflowID != "adopt" {
		t.Errorf("local: %v %v", w, err)
	}
	for _, ref := range []string{"missing", "$sourceDescriptions.sub.missing", "$sourceDescriptions.petstore.listPets", "$sourceDescriptions.none.x"} {
		if _, _, err := b.ResolveWorkflow(ref); err == nil {
			t.Errorf("%s resolved", ref)
		}
	}
}

// TestLoadOverHTTP loads a document from an httptest server: relative
// source urls resolve against the document's URL.
func TestLoadOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join("testdata", "ok"))))
	defer srv.Close()
	b, diags := arazzo.Load(context.Background(), srv.URL+"/pets.arazzo.yaml", arazzo.LoadOptions{Fetcher: fetch.New(fetch.Options{})})
	if b == nil || len(diags) > 0 {
		t.Fatalf("load: %v", diags)
	}
	if got := b.Source("petstore").Location; got != srv.URL+"/petstore.openapi.yaml" {
		t.Errorf("petstore location = %s", got)
	}
}

// TestLoadMutualSources: Arazzo documents that list each other as sources
// (parent → child → parent, and child → itself) load once each and share
// their Bundles, from files and over http, without diagnostics; workflow
// references resolve both ways.
func TestLoadMutualSources(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join("testdata", "ok"))))
	defer srv.Close()
	for _, loc := range []string{
		filepath.Join("testdata", "ok", "mutual", "parent.arazzo.yaml"),
		"./" + filepath.ToSlash(filepath.Join("testdata", "ok", "mutual", "parent.arazzo.yaml")),
		srv.URL + "/mutual/parent.arazzo.yaml",
	} {
		t.Run(loc, func(t *testing.T) {
			fetcher := offline()
			if strings.HasPrefix(loc, "http") {
				fetcher = fetch.New(fetch.Options{})
			}
			b, diags := arazzo.Load(context.Background(), loc, arazzo.LoadOptions{Fetcher: fetcher})
			if b == nil {
				t.Fatalf("load: %v", diags)
			}
			diags = append(diags, arazzo.Validate(b, arazzo.ValidateOptions{})...)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", joinDiags(diags))
			}
			child := b.Source("child").Arazzo
			if child == nil || child == b {
				t.Fatalf("child source = %+v", b.Source("child"))
			}
			if got := child.Source("parent").Arazzo; got != b {
				t.Errorf("the child's parent source is a second copy of the parent (%p), want the loaded one (%p)", got, b)
			}
			if got := child.Source("self").Arazzo; got != child {
				t.Errorf("the child's self source is a second copy (%p), want the child itself (%p)", got, child)
			}
			cb, helper, err := b.ResolveWorkflow("$sourceDescriptions.child.helper")
			if err != nil || cb != child {
				t.Fatalf("resolve child helper: %v, %v", helper, err)
			}
			pb, leaf, err := cb.ResolveWorkflow(helper.Steps[0].WorkflowID)
			if err != nil || pb != b || leaf.WorkflowID != "leaf" {
				t.Fatalf("resolve the parent's leaf from the child: %v, %v", leaf, err)
			}
			if ro, err := pb.ResolveOperation(leaf.Steps[0]); err != nil || ro.Operation.ID != "listPets" {
				t.Errorf("leaf step: %v, %v", ro, err)
			}
		})
	}
}

// TestSourceLoadFailure: a missing source is a diagnostic naming the
// source, the url and the cause, at the source description's position, and
// lookups through it report ErrSourceNotLoaded.
func TestSourceLoadFailure(t *testing.T) {
	doc := "arazzo: 1.0.1\ninfo: {title: t, version: \"1\"}\nsourceDescriptions:\n  - name: api\n    url: ./missing.yaml\n    type: openapi\nworkflows: [{workflowId: w, steps: [{stepId: s, operationId: op}]}]\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "a.arazzo.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	b, diags := arazzo.Load(context.Background(), path, arazzo.LoadOptions{Fetcher: offline()})
	if len(diags) != 1 {
		t.Fatalf("diags = %v", diags)
	}
	d := diags[0]
	if d.Rule != "source-load" || d.Line != 4 || d.Column != 5 || d.File != path || !strings.Contains(d.Message, `"api"`) || !strings.Contains(d.Message, "missing.yaml") {
		t.Errorf("diagnostic = %v", d)
	}
	_, err := b.ResolveOperation(b.Document.Workflows[0].Steps[0])
	if !errors.Is(err, arazzo.ErrSourceNotLoaded) {
		t.Errorf("err = %v, want ErrSourceNotLoaded", err)
	}
	// Validate does not pile operation-exists on top of source-load.
	for _, d := range arazzo.Validate(b, arazzo.ValidateOptions{}) {
		if d.Rule == "operation-exists" {
			t.Errorf("unexpected %v", d)
		}
	}
}

func TestSniffUntypedSource(t *testing.T) {
	b := loadPets(t)
	if got := b.Source("store").Kind; got != arazzo.SourceOpenAPI {
		t.Errorf("sniffed kind = %q", got)
	}
	var raw map[string]any
	data, _ := json.Marshal(b.Document.Raw)
	if err := json.Unmarshal(data, &raw); err != nil || raw["arazzo"] != "1.0.1" {
		t.Errorf("Raw is not generic JSON: %v", err)
	}
}
