# Usage: zsh -f capture.zsh FPATH_DIR 'command line to complete'
# Prints what zsh's completion system offers at the end of the line, one a line.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'bindkey "^I" complete-word; zstyle ":completion:*" list-grouped false; zstyle ":completion:*" insert-tab false'
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; typeset -a hits; builtin compadd -A hits "$@"; for h in $hits; do print -r -- "@@"$h"@@"; done }'
zpty -w z 'done_completing() { print -r -- "END""MARK"; exit }; comppostfuncs=(done_completing)'
zpty -w z "$2"$'\t'
while zpty -r z line; do
  [[ $line == *ENDMARK* ]] && break
  if [[ $line =~ '@@([^"@]+)@@' ]]; then print -r -- $match[1]; fi
done
zpty -d z
