# bash completion for conntrack-advise(8)                    -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later

# The templates suggest knows: the installed ones (found next to this file's data
# directory) or, failing that, none.
_conntrack_advise_templates()
{
	local dir
	for dir in "${CONNTRACK_ADVISE_TEMPLATES:-}" /usr/local/share/conntrack-advise/templates \
		/usr/share/conntrack-advise/templates; do
		[[ -n $dir && -d $dir ]] || continue
		compgen -W "$(cd "$dir" && ls -- *.nft 2>/dev/null | sed 's/\.nft$//')" -- "$1"
		return
	done
}

_conntrack_advise()
{
	local cur prev words cword cmd i
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local commands="record flows blame suggest review apply graph merge version help"
	local globals="-j --json -v --verbose -q --quiet -h --help"
	# the global options are taken after the command word too
	local after="-j --json -v --verbose -q --quiet"

	cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	case $cmd in
	record)
		case $prev in
		-o | --output) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur")); compopt -o plusdirs 2>/dev/null; return ;;
		--trace) COMPREPLY=($(compgen -W "new all none" -- "$cur")); return ;;
		--events) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		-d | --duration | --rotate | --checkpoint-interval | --rcvbuf | --nflog-group | --trace-rate) return ;;
		esac
		COMPREPLY=($(compgen -W "-o --output -d --duration --rotate --trace --trace-rate --nflog-group --checkpoint-interval --rcvbuf --events --no-bpf --no-reliable-events --help $after" -- "$cur"))
		;;
	flows)
		case $prev in
		-o | --output) COMPREPLY=($(compgen -W "extended" -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-o --output --help $after" -- "$cur"))
		else
			# a session, or a directory of them (a recording service's)
			COMPREPLY=($(compgen -f -X '!*.json' -- "$cur"))
			compopt -o plusdirs 2>/dev/null
		fi
		;;
	blame)
		case $prev in
		--session) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur")); compopt -o plusdirs 2>/dev/null; return ;;
		--timeout) return ;;
		esac
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W "--session --live --timeout --help $after" -- "$cur"))
		;;
	suggest)
		case $prev in
		--format) COMPREPLY=($(compgen -W "nft iptables ip6tables" -- "$cur")); return ;;
		--template) COMPREPLY=($(_conntrack_advise_templates "$cur") $(compgen -f -- "$cur")); return ;;
		-o) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--table | --prefix4 | --prefix6 | --min-hosts | --merge4 | --merge6 | --replace) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--format --template --table -o --restrict-output --per-process --allow-denied --replace --force --prefix4 --prefix6 --min-hosts --merge4 --merge6 --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.json' -- "$cur"))
			compopt -o plusdirs 2>/dev/null
		fi
		;;
	review | apply)
		case $prev in
		--session) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur")); compopt -o plusdirs 2>/dev/null; return ;;
		--backup) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--backup-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--confirm-timeout) return ;;
		esac
		if [[ $cur == -* ]]; then
			if [[ $cmd == review ]]; then
				COMPREPLY=($(compgen -W "--session --live --help $after" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "--confirm-timeout --confirm --force --session --backup --backup-dir --help $after" -- "$cur"))
			fi
		else
			# any file: a ruleset is often /etc/nftables.conf, not *.nft
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	graph)
		case $prev in
		--format) COMPREPLY=($(compgen -W "dot svg" -- "$cur")); return ;;
		-o) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--format -o --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.json' -- "$cur"))
			compopt -o plusdirs 2>/dev/null
		fi
		;;
	merge)
		case $prev in
		-o) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-o --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.json' -- "$cur"))
			compopt -o plusdirs 2>/dev/null
		fi
		;;
	help)
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		;;
	esac
}
complete -F _conntrack_advise conntrack-advise
