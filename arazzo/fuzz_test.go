package arazzo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/arazzo"
)

func addSeeds(f *testing.F) {
	for _, pattern := range []string{"testdata/ok/*.yaml", "testdata/bad/*"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"arazzo":"1.1.0","info":{"title":"t","version":"1"},"sourceDescriptions":[{"name":"a","url":"x"}],"workflows":[{"workflowId":"w","steps":[{"stepId":"s","operationId":"o","outputs":{"v":{"context"
	"fmt"
	"time":"$response.body","selector":"$.a","type":"jsonpath"}}}]}]}`))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: {a: 1}\nb: 2\n"))
}

// FuzzParse: Parse never panics, and returns a document or an error.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan bool)
		go func() {
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				panic(fmt.Sprintf("HANG %q", data))
			}
		}()
		defer close(done)
		doc, diags := arazzo.Parse("fuzz.yaml", data)
		if doc == nil && !diags.HasErrors() {
			t.Fatal("no document and no error")
		}
		if doc != nil {
			doc.Locate("/workflows/0/steps/0/x")
		}
	})
}

// FuzzValidate: loading (without sources) and validating any document
// never panics.
func FuzzValidate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _ := arazzo.LoadData(context.Background(), "fuzz.yaml", data, arazzo.LoadOptions{SkipSources: true})
		arazzo.Validate(b, arazzo.ValidateOptions{})
		if b != nil {
			for _, w := range b.Document.Workflows {
				for _, s := range w.Steps {
					b.ResolveOperation(s)
				}
				b.ResolveWorkflow(w.WorkflowID)
			}
		}
	})
}
