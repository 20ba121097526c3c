package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what `arazzo version` reports; --format json prints it.
type versionInfo struct {
	// Version is the release version: the -ldflags value, else the module
	// version `go install …@vX` recorded, else "dev".
	Version       string `json:"version"`
	GoVersion     string `json:"goVersion"`
	Platform      string `json:"platform"`
	Module        string `json:"module,omitempty"`
	ModuleVersion string `json:"moduleVersion,omitempty"`
	Revision      string `json:"revision,omitempty"`
	RevisionTime  string `json:"revisionTime,omitempty"`
	Modified      bool   `json:"modified,omitempty"`
}

// readVersion gathers the version from the build: -ldflags, then the
// build info Go records (module version, VCS revision and time).
func readVersion() versionInfo {
	v := versionInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module = bi.Main.Path
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.ModuleVersion = bi.Main.Version
		if v.Version == "dev" {
			v.Version = bi.Main.Version
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.RevisionTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func newVersionCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the Go version and the source revision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readVersion()
			w := cmd.OutOrStdout()
			switch format {
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			case "text":
			default:
				return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --format %q (use text or json)", format)}
			}
			fmt.Fprintf(w, "arazzo %s\n", v.Version)
			fmt.Fprintf(w, "  go:       %s %s\n", v.GoVersion, v.Platform)
			if v.Module != "" {
				mv := v.ModuleVersion
				if mv == "" {
					mv = "(devel)"
				}
				fmt.Fprintf(w, "  module:   %s %s\n", v.Module, mv)
			}
			if v.Revision != "" {
				rev := v.Revision
				if v.Modified {
					rev += " (modified)"
				}
				if v.RevisionTime != "" {
					rev += " " + v.RevisionTime
				}
				fmt.Fprintf(w, "  revision: %s\n", rev)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
