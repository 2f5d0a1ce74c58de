package zkcli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
	"golang.org/x/term"
)

// HistoryFile is where the interactive shell keeps its line history
// across runs, in the home directory (zkCli keeps jline's in
// ~/.zookeeper_history).
const HistoryFile = ".paddock_cli_history"

// editor is the line editor of a terminal: cursor keys, ^R search and a
// history kept in HistoryFile.
type editor struct {
	l    *liner.State
	path string
}

// newEditor returns a line editor when in and out are both a terminal;
// otherwise (pipes, files, tests) the shell reads plain lines.
func newEditor(in io.Reader, out io.Writer) (*editor, bool) {
	fi, ok1 := in.(*os.File)
	fo, ok2 := out.(*os.File)
	if !ok1 || !ok2 || fi != os.Stdin || !term.IsTerminal(int(fi.Fd())) || !term.IsTerminal(int(fo.Fd())) || !liner.TerminalSupported() {
		return nil, false
	}
	e := &editor{l: liner.NewLiner()}
	e.l.SetCtrlCAborts(true)
	if home, err := os.UserHomeDir(); err == nil {
		e.path = filepath.Join(home, HistoryFile)
		if f, err := os.Open(e.path); err == nil {
			_, _ = e.l.ReadHistory(f)
			f.Close()
		}
	}
	return e, true
}

// ReadLine prompts and reads one line; ^C and ^D end the shell, as they
// end zkCli.
func (e *editor) ReadLine(prompt string) (string, error) {
	line, err := e.l.Prompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", io.EOF
	}
	if err == nil && strings.TrimSpace(line) != "" {
		e.l.AppendHistory(line)
	}
	return line, err
}

// Close restores the terminal and saves the history.
func (e *editor) Close() {
	if e.path != "" {
		if f, err := os.OpenFile(e.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
			_, _ = e.l.WriteHistory(f)
			f.Close()
		}
	}
	_ = e.l.Close()
}
