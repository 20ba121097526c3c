package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourcesConfinedToDocumentTree: a document cannot make the CLI read a
// file outside its own directory tree, the working directory's, or one
// named with --allow-path.
func TestSourcesConfinedToDocumentTree(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "api.yaml"), []byte(cliAPI), 0o644)
	docDir := t.TempDir()
	doc := filepath.Join(docDir, "flow.yaml")
	flow := strings.Replace(cliFlow, "url: ./api.yaml", "url: "+filepath.Join(outside, "api.yaml"), 1)
	os.WriteFile(doc, []byte(flow), 0o644)

	if code, out, errs := runCLI("validate", doc); code == 0 || !strings.Contains(out+errs, "outside the allowed directories") {
		t.Fatalf("a source outside the tree was read: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI("run", doc, "--input", "id=1", "--input", "token=t"); code != exitInvalid || !strings.Contains(out+errs, "--allow-path") {
		t.Errorf("run: exit %d, want 2 with a hint naming --allow-path\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI("validate", "--allow-path", outside, doc); code != 0 {
		t.Errorf("with --allow-path: exit %d\n%s%s", code, out, errs)
	}
}
