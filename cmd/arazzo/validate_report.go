package main

import (
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/arazzo"
)

// GitHub Actions workflow commands
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).

// writeGitHub writes one ::error / ::warning / ::notice command per
// diagnostic. GitHub shows them as annotations on the file and line.
func writeGitHub(w io.Writer, ds arazzo.Diagnostics) error {
	pw := &errWriter{w: w}
	for _, d := range ds {
		cmd := "notice"
		switch d.Severity {
		case arazzo.SeverityError:
			cmd = "error"
		case arazzo.SeverityWarning:
			cmd = "warning"
		}
		props := []string{"file=" + ghProperty(repoPath(d.File))}
		if d.Line > 0 {
			props = append(props, "line="+strconv.Itoa(d.Line))
			if d.Column > 0 {
				props = append(props, "col="+strconv.Itoa(d.Column))
			}
		}
		if d.Rule != "" {
			props = append(props, "title="+ghProperty(d.Rule))
		}
		msg := d.Message
		if d.Hint != "" {
			msg += "\nhint: " + d.Hint
		}
		io.WriteString(pw, "::"+cmd+" "+strings.Join(props, ",")+"::"+ghData(msg)+"\n")
	}
	return pw.err
}

// ghData escapes a command's message as the Actions runner expects: %,
// CR and LF are percent-encoded.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a command property value: as data, plus ':' and ','.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// repoPath returns file relative to the working directory when it is
// inside it (GitHub and code-scanning tools resolve paths against the
// repository root, where CI jobs run), with forward slashes; URLs and
// files elsewhere are returned as given.
func repoPath(file string) string {
	if isURL(file) {
		return file
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return filepath.ToSlash(file)
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.ToSlash(file)
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "file://")
}

// sarifURI is the artifactLocation.uri of file: a relative URI reference
// for a file under the working directory, a file:// URI for one elsewhere,
// the URL itself for a URL.
func sarifURI(file string) string {
	if isURL(file) {
		return file
	}
	p := repoPath(file)
	if filepath.IsAbs(filepath.FromSlash(p)) {
		u := url.URL{Scheme: "file", Path: p}
		if !strings.HasPrefix(p, "/") { // Windows: C:/x → file:///C:/x
			u.Path = "/" + p
		}
		return u.String()
	}
	return (&url.URL{Path: p}).String()
}

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/).

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	toolInfoURI  = "https://github.com/go-arazzo/arazzo"
	sarifVersion = "2.1.0"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	Results    []sarifResult `json:"results"`
	ColumnKind string        `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
	HelpURI          string       `json:"helpUri,omitempty"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// writeSARIF writes one SARIF run holding every diagnostic of every file.
func writeSARIF(w io.Writer, results []validated) error {
	var ids []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, d := range r.diags {
			id := ruleID(d)
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	index := map[string]int{}
	rules := make([]sarifRule, 0, len(ids))
	for i, id := range ids {
		index[id] = i
		rules = append(rules, sarifRule{ID: id, ShortDescription: sarifMessage{Text: ruleDescription(id)}})
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "arazzo", Version: readVersion().Version,
			InformationURI: toolInfoURI, Rules: rules}},
		Results:    []sarifResult{},
		ColumnKind: "unicodeCodePoints",
	}
	for _, r := range results {
		for _, d := range r.diags {
			msg := d.Message
			if d.Hint != "" {
				msg += "\nHint: " + d.Hint
			}
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(d.File)}}}
			if d.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: d.Line, StartColumn: d.Column}
			}
			id := ruleID(d)
			run.Results = append(run.Results, sarifResult{RuleID: id, RuleIndex: index[id], Level: sarifLevel(d.Severity),
				Message: sarifMessage{Text: msg}, Locations: []sarifLocation{loc}})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func ruleID(d arazzo.Diagnostic) string {
	if d.Rule == "" {
		return "arazzo"
	}
	return d.Rule
}

func sarifLevel(s arazzo.Severity) string {
	switch s {
	case arazzo.SeverityError:
		return "error"
	case arazzo.SeverityWarning:
		return "warning"
	}
	return "note"
}

// ruleDescription is a rule's one-line description for SARIF viewers.
func ruleDescription(id string) string {
	if d, ok := ruleDescriptions[id]; ok {
		return d
	}
	return "Arazzo document check " + id
}

// ruleDescriptions describes the rule ids the validator reports (see the
// arazzo package); a rule missing here still gets a generic description.
var ruleDescriptions = map[string]string{
	"action-target-exists":    "A goto or retry action names a step or workflow that exists.",
	"component-reference":     "A $components reference points at an existing component of the right kind.",
	"depends-on-cycle":        "Workflow dependencies (dependsOn) do not form a cycle.",
	"depends-on-exists":       "Each dependsOn entry names an existing workflow or step.",
	"duplicate-key":           "A YAML or JSON object does not repeat a key.",
	"empty-document":          "The document is not empty.",
	"expression-lenient":      "A runtime expression uses a lenient form that strict mode rejects.",
	"expression-syntax":       "Runtime expressions and criteria parse.",
	"file-read":               "The file can be read.",
	"goto-loop-no-exit":       "A loop of goto actions has a way out.",
	"invalid-utf8":            "The document is valid UTF-8.",
	"load":                    "The document can be loaded.",
	"not-an-object":           "The document's root is an object.",
	"operation-exists":        "A step's operationId or operationPath names an operation of a source description.",
	"output-name-format":      "Output names match ^[a-zA-Z0-9.\\-_]+$.",
	"output-template":         "An output is a runtime expression, not an expression string.",
	"parameter-in":            "A parameter's `in` is valid for the kind of step it belongs to.",
	"path-parameter-required": "Every path parameter of the operation is given a value.",
	"poll-without-retry":      "A step that waits for a response value has a retry action.",
	"source-ref-spelling":     "Source references use the $sourceDescriptions (plural) prefix.",
	"schema":                  "The document conforms to the Arazzo JSON Schema of its version.",
	"source-load":             "Each source description can be loaded.",
	"source-name-unique":      "Source description names are unique.",
	"step-id-unique":          "Step ids are unique within a workflow.",
	"step-output-defined":     "A $steps reference names an earlier step and one of its outputs.",
	"step-target-exactly-one": "A step names exactly one of operationId, operationPath, workflowId (or x-operation).",
	"step-unreachable":        "Every step can be reached.",
	"type-mismatch":           "Each field has the type the specification requires.",
	"version-unsupported":     "The document declares a supported Arazzo version (1.0.x or 1.1.x).",
	"workflow-exists":         "A workflowId reference names an existing workflow.",
	"workflow-id-unique":      "Workflow ids are unique.",
	"x-operation":             "An x-operation extension has a method and a URL.",
	"yaml-key-not-string":     "Mapping keys are strings.",
	"yaml-multi-document":     "The file holds a single YAML document.",
	"yaml-syntax":             "The file is well-formed YAML or JSON.",
	"yaml-too-deep":           "The document does not nest deeper than the parser's limit.",
	"yaml-too-large":          "The document (aliases expanded) stays under the parser's size limit.",
	"arazzo":                  "Arazzo document check.",
	// Lenient expression forms (warnings; errors with --strict).
	"bare-expression":      "A runtime expression inside a longer string is written without {…} braces.",
	"double-quoted-string": "A string in a condition uses double quotes instead of single quotes.",
	"invalid-embedded":     "A '{$' in a string does not start a valid embedded expression.",
	"invalid-expression":   "A value looks like a runtime expression but does not parse as one.",
	"jsonpath-comparison":  "A JSONPath criterion compares a path with a literal instead of using a filter.",
	"missing-context":      "A regex, JSONPath or XPath criterion has no context.",
	"missing-type":         "A selector has no type.",
}
