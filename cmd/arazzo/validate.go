package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
)

// validated is the outcome of validating one file.
type validated struct {
	file  string
	diags arazzo.Diagnostics
	// unreadable: the file could not be read or parsed at all.
	unreadable bool
}

func newValidateCmd() *cobra.Command {
	var format, failOn, output string
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check documents against the Arazzo schema and rules",
		Long: `Validate checks each document against the official Arazzo JSON Schema of its
version and the specification's rules that the schema cannot express (unique
ids, targets that exist, valid runtime expressions, outputs defined before
use, …), and warns about likely mistakes such as a poll step without retry.

Formats:
  text    one line per finding, FILE:LINE:COL: severity: message [rule]
  json    {"files":[{"file","valid","diagnostics":[…]}]}
  github  GitHub Actions annotations (::error file=…,line=…,col=…,title=RULE::…),
          shown on the pull request's changed lines
  sarif   SARIF 2.1.0 for code-scanning dashboards
          (github/codeql-action/upload-sarif)

--output PATH writes the report to PATH instead of standard output.

Exit status: 0 nothing at or above the --fail-on severity (default error:
warnings allowed), 1 findings at or above it, 2 usage error or unreadable
file.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			switch format {
			case "text", "json", "github", "sarif":
			default:
				return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --format %q (use text, json, github or sarif)", format)}
			}
			threshold, ok := map[string]arazzo.Severity{"error": arazzo.SeverityError, "warning": arazzo.SeverityWarning}[failOn]
			if !ok {
				return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --fail-on %q (use error or warning)", failOn)}
			}
			var opts []engine.Option
			if strict {
				opts = append(opts, engine.WithStrict())
			}
			var results []validated
			worst := exitOK
			for _, f := range files {
				v := validated{file: f}
				doc, err := engine.Open(cmd.Context(), f, append(opts, fileAccess())...)
				if err != nil {
					// Not even a document model: unreadable, not YAML/JSON,
					// not an object.
					v.diags, v.unreadable = diagsOf(f, err), true
					worst = max(worst, exitInvalid)
				} else {
					v.diags = doc.Diagnostics()
				}
				for i := range v.diags {
					if v.diags[i].File == "" {
						v.diags[i].File = f
					}
					if v.diags[i].Severity <= threshold {
						worst = max(worst, exitFailed)
					}
				}
				results = append(results, v)
			}
			if err := writeValidation(cmd, format, output, results); err != nil {
				return err
			}
			if worst != exitOK {
				return &exitError{code: worst}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "text", "output format: text, json, github or sarif")
	fl.StringVar(&failOn, "fail-on", "error", "exit 1 when a finding of this severity or worse exists: error or warning")
	fl.StringVarP(&output, "output", "o", "", "write the report to this file instead of standard output")
	fl.BoolVar(&strict, "strict", false, "reject the lenient expression forms of published documents")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "github", "sarif"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"error", "warning"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// writeValidation writes the report in format to standard output or to
// the --output file.
func writeValidation(cmd *cobra.Command, format, output string, results []validated) error {
	w := cmd.OutOrStdout()
	var f *os.File
	if output != "" {
		var err error
		if f, err = os.Create(output); err != nil {
			return &exitError{code: exitInvalid, msg: fmt.Sprintf("--output: %v", err)}
		}
		w = f
	}
	err := writeReport(w, cmd.ErrOrStderr(), format, results)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return &exitError{code: exitInvalid, msg: fmt.Sprintf("writing the %s report: %v", format, err)}
	}
	return nil
}

func writeReport(w, stderr io.Writer, format string, results []validated) error {
	switch format {
	case "json":
		reports := make([]fileReport, 0, len(results))
		for _, r := range results {
			reports = append(reports, fileReport{File: r.file, Valid: !r.diags.HasErrors(), Diagnostics: toJSONDiags(r.diags)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"files": reports})
	case "github":
		for _, r := range results {
			if err := writeGitHub(w, r.diags); err != nil {
				return err
			}
			// The summary goes to stderr: stdout holds only workflow
			// commands, so it can be piped or captured as is.
			printSummary(stderr, r.file, r.diags)
		}
		return nil
	case "sarif":
		return writeSARIF(w, results)
	}
	pw := &errWriter{w: w}
	for _, r := range results {
		printDiagsText(pw, r.file, r.diags)
	}
	return pw.err
}

type fileReport struct {
	File        string     `json:"file"`
	Valid       bool       `json:"valid"`
	Diagnostics []jsonDiag `json:"diagnostics"`
}

type jsonDiag struct {
	Severity string `json:"severity"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Path     string `json:"path"`
}

func toJSONDiags(ds arazzo.Diagnostics) []jsonDiag {
	out := make([]jsonDiag, 0, len(ds))
	for _, d := range ds {
		out = append(out, jsonDiag{Severity: d.Severity.String(), Rule: d.Rule, Message: d.Message, Hint: d.Hint,
			Line: d.Line, Column: d.Column, Path: d.Path})
	}
	return out
}

// diagsOf turns an Open error into diagnostics.
func diagsOf(file string, err error) arazzo.Diagnostics {
	if ve, ok := err.(*engine.ValidationError); ok && len(ve.Diagnostics) > 0 {
		return ve.Diagnostics
	}
	return arazzo.Diagnostics{{Severity: arazzo.SeverityError, Rule: "file-read", File: file, Message: err.Error()}}
}

func printDiagsText(w io.Writer, file string, ds arazzo.Diagnostics) {
	for _, d := range ds {
		if d.File == "" {
			d.File = file
		}
		fmt.Fprintln(w, d.String())
		if d.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", d.Hint)
		}
	}
	printSummary(w, file, ds)
}

// printSummary writes "FILE: valid (N warnings)" or "FILE: N errors, M
// warnings".
func printSummary(w io.Writer, file string, ds arazzo.Diagnostics) {
	errs, warns := 0, 0
	for _, d := range ds {
		switch d.Severity {
		case arazzo.SeverityError:
			errs++
		case arazzo.SeverityWarning:
			warns++
		}
	}
	if errs == 0 {
		fmt.Fprintf(w, "%s: valid (%d warnings)\n", file, warns)
	} else {
		fmt.Fprintf(w, "%s: %d errors, %d warnings\n", file, errs, warns)
	}
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
