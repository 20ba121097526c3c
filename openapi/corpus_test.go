package openapi

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-arazzo/arazzo/internal/fetch"
	"github.com/go-arazzo/arazzo/internal/testutil"
)

// publicAPIs lists the OpenAPI files of the jentic-public corpus.
func publicAPIs(t testing.TB) []string {
	t.Helper()
	dir := filepath.Join(testutil.ConformanceDir(t, "jentic-public"), "apis")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestLoadPublicCorpus loads every OpenAPI file of the jentic-public corpus:
// each must load without error and index at least one operation.
func TestLoadPublicCorpus(t *testing.T) {
	t.Parallel()
	files := publicAPIs(t)
	if len(files) == 0 {
		t.Fatal("no OpenAPI files found in the jentic-public corpus")
	}
	f := fetch.New(fetch.Options{AllowPaths: []string{filepath.Dir(filepath.Dir(files[0]))}})
	var ops, withModel, byVersion2 atomic.Int64
	var mu sync.Mutex
	var fallbacks []string
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, p := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return
			}
			doc, err := Load(context.Background(), data, p, f)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				return
			}
			if len(doc.Operations) == 0 {
				t.Errorf("%s: no operations indexed", p)
			}
			ops.Add(int64(len(doc.Operations)))
			if strings.HasPrefix(doc.Version, "2") {
				byVersion2.Add(1)
			}
			if docModel(doc) != nil {
				withModel.Add(1)
			} else {
				mu.Lock()
				fallbacks = append(fallbacks, filepath.Base(filepath.Dir(filepath.Dir(p)))+": "+docModelErr(doc).Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d files (%d Swagger 2.0), %d operations, %d with a kin-openapi model, %d indexed best-effort", len(files), byVersion2.Load(), ops.Load(), withModel.Load(), len(fallbacks))
	for _, f := range fallbacks {
		t.Logf("best-effort: %.300s", f)
	}
}

// TestResolvePublicWorkflowSteps resolves every operationId and
// operationPath of the jentic-public workflows against their OpenAPI
// descriptions.
func TestResolvePublicWorkflowSteps(t *testing.T) {
	t.Parallel()
	root := testutil.ConformanceDir(t, "jentic-public")
	var manifest struct {
		Entries []struct {
			WorkflowFile      string `json:"workflow_file"`
			SourceDescription string `json:"sourceDescription"`
			ResolvedPath      string `json:"resolved_path"`
			Status            string `json:"status"`
		} `json:"entries"`
	}
	readJSON(t, filepath.Join(root, "manifest.json"), &manifest)
	docs := map[string]*Document{}
	var resolved, unresolved int
	for _, e := range manifest.Entries {
		if e.Status != "included" {
			continue
		}
		p := filepath.Join(root, e.ResolvedPath)
		doc := docs[p]
		if doc == nil {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if doc, err = Load(context.Background(), data, p, fetch.New(fetch.Options{AllowPaths: []string{root}})); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			docs[p] = doc
		}
		var wf struct {
			SourceDescriptions []struct{ Name string }
			Workflows          []struct {
				WorkflowID string
				Steps      []struct {
					StepID        string
					OperationID   string
					OperationPath string
				}
			}
		}
		readJSON(t, filepath.Join(root, e.WorkflowFile), &wf)
		single := len(wf.SourceDescriptions) == 1
		for _, w := range wf.Workflows {
			for _, s := range w.Steps {
				var op *Operation
				switch {
				case s.OperationID != "":
					id := s.OperationID
					if rest, ok := strings.CutPrefix(id, "$sourceDescriptions."); ok {
						src, opID, _ := strings.Cut(rest, ".")
						if src != e.SourceDescription {
							continue
						}
						id = opID
					} else if !single {
						if op = doc.OperationByID(id); op == nil {
							continue // may belong to another source
						}
					}
					op = doc.OperationByID(id)
				case s.OperationPath != "":
					src, ptr, ok := strings.Cut(s.OperationPath, "#")
					if !ok || !strings.Contains(src, "."+e.SourceDescription+".") {
						continue
					}
					op = doc.OperationByPointer(ptr)
				default:
					continue
				}
				if op == nil {
					unresolved++
					t.Errorf("%s %s/%s: cannot resolve %q%q", e.WorkflowFile, w.WorkflowID, s.StepID, s.OperationID, s.OperationPath)
					continue
				}
				resolved++
			}
		}
	}
	t.Logf("%d steps resolved, %d unresolved, %d descriptions", resolved, unresolved, len(docs))
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestLoadJenticRunnerDescriptions loads every OpenAPI file of the
// jentic-runner corpus (fixtures and unit-test inputs).
func TestLoadJenticRunnerDescriptions(t *testing.T) {
	root := testutil.ConformanceDir(t, "jentic-runner")
	var n int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml")) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !strings.Contains(string(data), "openapi") || strings.Contains(string(data), "arazzo:") || strings.Contains(string(data), `"arazzo"`) {
			return nil
		}
		doc, err := Load(context.Background(), data, p, fetch.New(fetch.Options{AllowPaths: []string{root}}))
		if err != nil {
			if strings.Contains(err.Error(), "neither") {
				return nil // a test_config or cases file
			}
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if len(doc.Operations) == 0 {
			t.Errorf("%s: no operations", p)
		}
		if docModel(doc) == nil {
			t.Logf("%s: best-effort (%v)", p, docModelErr(doc))
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Errorf("only %d descriptions found", n)
	}
	t.Logf("%d descriptions loaded", n)
}
