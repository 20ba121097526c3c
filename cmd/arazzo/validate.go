package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
)

func newValidateCmd() *cobra.Command {
	var format string
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check documents against the Arazzo schema and rules",
		Long: `Validate checks each document against the official Arazzo JSON Schema of its
version and the specification's rules that the schema cannot express (unique
ids, targets that exist, valid runtime expressions, outputs defined before
use, …), and warns about likely mistakes such as a poll step without retry.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or
unreadable file.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var opts []engine.Option
			if strict {
				opts = append(opts, engine.WithStrict())
			}
			var reports []fileReport
			worst := exitOK
			for _, f := range files {
				var diags arazzo.Diagnostics
				doc, err := engine.Open(cmd.Context(), f, opts...)
				if err != nil {
					// Not even a document model: unreadable, not YAML/JSON,
					// not an object.
					diags = diagsOf(f, err)
					worst = max(worst, exitInvalid)
				} else {
					diags = doc.Diagnostics()
				}
				rep := fileReport{File: f, Valid: !diags.HasErrors(), Diagnostics: toJSONDiags(diags)}
				reports = append(reports, rep)
				if diags.HasErrors() {
					worst = max(worst, exitFailed)
				}
				if format == "text" {
					printDiagsText(cmd.OutOrStdout(), f, diags)
				}
			}
			switch format {
			case "text":
			case "json":
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"files": reports}); err != nil {
					return err
				}
			default:
				return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --format %q (use text or json)", format)}
			}
			if worst != exitOK {
				return &exitError{code: worst}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&strict, "strict", false, "reject the lenient expression forms of published documents")
	return cmd
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
	errs, warns := 0, 0
	for _, d := range ds {
		if d.File == "" {
			d.File = file
		}
		fmt.Fprintln(w, d.String())
		if d.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", d.Hint)
		}
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
