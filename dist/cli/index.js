#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 916:
/***/ ((__unused_webpack_module, exports) => {

var __webpack_unused_export__;

__webpack_unused_export__ = true;
exports.Io = __webpack_unused_export__ = void 0;
var peq = new Uint32Array(0x10000);
var myers_32 = function (a, b) {
    var n = a.length;
    var m = b.length;
    var lst = 1 << (n - 1);
    var pv = -1;
    var mv = 0;
    var sc = n;
    var i = n;
    while (i--) {
        peq[a.charCodeAt(i)] |= 1 << i;
    }
    for (i = 0; i < m; i++) {
        var eq = peq[b.charCodeAt(i)];
        var xv = eq | mv;
        eq |= ((eq & pv) + pv) ^ pv;
        mv |= ~(eq | pv);
        pv &= eq;
        if (mv & lst) {
            sc++;
        }
        if (pv & lst) {
            sc--;
        }
        mv = (mv << 1) | 1;
        pv = (pv << 1) | ~(xv | mv);
        mv &= xv;
    }
    i = n;
    while (i--) {
        peq[a.charCodeAt(i)] = 0;
    }
    return sc;
};
var myers_x = function (b, a) {
    var n = a.length;
    var m = b.length;
    var mhc = [];
    var phc = [];
    var hsize = Math.ceil(n / 32);
    var vsize = Math.ceil(m / 32);
    for (var i = 0; i < hsize; i++) {
        phc[i] = -1;
        mhc[i] = 0;
    }
    var j = 0;
    for (; j < vsize - 1; j++) {
        var mv_1 = 0;
        var pv_1 = -1;
        var start_1 = j * 32;
        var vlen_1 = Math.min(32, m) + start_1;
        for (var k = start_1; k < vlen_1; k++) {
            peq[b.charCodeAt(k)] |= 1 << k;
        }
        for (var i = 0; i < n; i++) {
            var eq = peq[a.charCodeAt(i)];
            var pb = (phc[(i / 32) | 0] >>> i) & 1;
            var mb = (mhc[(i / 32) | 0] >>> i) & 1;
            var xv = eq | mv_1;
            var xh = ((((eq | mb) & pv_1) + pv_1) ^ pv_1) | eq | mb;
            var ph = mv_1 | ~(xh | pv_1);
            var mh = pv_1 & xh;
            if ((ph >>> 31) ^ pb) {
                phc[(i / 32) | 0] ^= 1 << i;
            }
            if ((mh >>> 31) ^ mb) {
                mhc[(i / 32) | 0] ^= 1 << i;
            }
            ph = (ph << 1) | pb;
            mh = (mh << 1) | mb;
            pv_1 = mh | ~(xv | ph);
            mv_1 = ph & xv;
        }
        for (var k = start_1; k < vlen_1; k++) {
            peq[b.charCodeAt(k)] = 0;
        }
    }
    var mv = 0;
    var pv = -1;
    var start = j * 32;
    var vlen = Math.min(32, m - start) + start;
    for (var k = start; k < vlen; k++) {
        peq[b.charCodeAt(k)] |= 1 << k;
    }
    var score = m;
    for (var i = 0; i < n; i++) {
        var eq = peq[a.charCodeAt(i)];
        var pb = (phc[(i / 32) | 0] >>> i) & 1;
        var mb = (mhc[(i / 32) | 0] >>> i) & 1;
        var xv = eq | mv;
        var xh = ((((eq | mb) & pv) + pv) ^ pv) | eq | mb;
        var ph = mv | ~(xh | pv);
        var mh = pv & xh;
        score += (ph >>> (m - 1)) & 1;
        score -= (mh >>> (m - 1)) & 1;
        if ((ph >>> 31) ^ pb) {
            phc[(i / 32) | 0] ^= 1 << i;
        }
        if ((mh >>> 31) ^ mb) {
            mhc[(i / 32) | 0] ^= 1 << i;
        }
        ph = (ph << 1) | pb;
        mh = (mh << 1) | mb;
        pv = mh | ~(xv | ph);
        mv = ph & xv;
    }
    for (var k = start; k < vlen; k++) {
        peq[b.charCodeAt(k)] = 0;
    }
    return score;
};
var distance = function (a, b) {
    if (a.length < b.length) {
        var tmp = b;
        b = a;
        a = tmp;
    }
    if (b.length === 0) {
        return a.length;
    }
    if (a.length <= 32) {
        return myers_32(a, b);
    }
    return myers_x(a, b);
};
exports.Io = distance;
var closest = function (str, arr) {
    var min_distance = Infinity;
    var min_index = 0;
    for (var i = 0; i < arr.length; i++) {
        var dist = distance(str, arr[i]);
        if (dist < min_distance) {
            min_distance = dist;
            min_index = i;
        }
    }
    return arr[min_index];
};
__webpack_unused_export__ = closest;


/***/ }),

/***/ 282:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  ak: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: commandHelp, parseCliArgs

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_namespaceObject);
;// CONCATENATED MODULE: ./src/lib/errors.ts
class UserError extends Error {
    name = 'UserError';
    location;
    input;
    title;
    constructor(message, options = {}) {
        super(message, options.cause === undefined ? undefined : { cause: options.cause });
        this.location = options.location;
        this.input = options.input;
        this.title = options.title;
    }
}
function isUserError(error) {
    return error instanceof UserError;
}
/** Formats a location as `file:line:column` for plain-text output (the CLI, nested messages). */
function formatLocation(location) {
    let text = location.file;
    if (location.line !== undefined) {
        text += `:${location.line}`;
        if (location.column !== undefined)
            text += `:${location.column}`;
    }
    return text;
}

;// CONCATENATED MODULE: ./src/lib/command.ts
/**
 * The command framework. A command is its input schema (one zod-validated spec per input), its outputs and a `run()`
 * written against the small `RunContext` interface. The GitHub Action adapter (`src/action.ts`) and the CLI
 * (`src/cli.ts`) both turn raw strings into typed inputs through `parseInputs`, so an input behaves the same whether
 * it came from `INPUT_*` or from `--flag value`. action.yml files and README tables are generated from these specs.
 */


/** Declares a command; the identity function that gives `run` its typed inputs. */
function defineCommand(command) {
    return command;
}
function spec(kind, options, parse) {
    return {
        kind,
        description: options.description,
        required: options.required ?? false,
        default: options.default,
        defaultDescription: options.defaultDescription,
        choices: options.choices,
        secret: options.secret ?? false,
        parse,
    };
}
/** Runs a zod schema on a raw input, turning its first issue into a plain message. */
function parseWith(schema, raw) {
    const result = schema.safeParse(raw);
    if (result.success)
        return result.data;
    throw new Error(result.error.issues[0]?.message ?? 'is not valid');
}
/** A free-text input. `pattern` (with `patternHint` describing it) refuses values of the wrong shape. */
function command_text(options) {
    const schema = options.pattern
        ? z.string().regex(options.pattern, { message: `must be ${options.patternHint ?? `of the form ${String(options.pattern)}`}` })
        : z.string();
    return spec('string', options, (raw) => parseWith(schema, raw));
}
/** A credential: like `text`, and masked as soon as it is read. */
function secret(options) {
    return command_text({ ...options, secret: true });
}
const TRUE_WORDS = (/* unused pure expression or super */ null && (['true', 'True', 'TRUE']));
const FALSE_WORDS = (/* unused pure expression or super */ null && (['false', 'False', 'FALSE']));
/** `true` or `false` (the YAML 1.2 core spellings, as `core.getBooleanInput` accepts). */
function flag(options) {
    return spec('boolean', options, (raw) => {
        if (TRUE_WORDS.includes(raw))
            return true;
        if (FALSE_WORDS.includes(raw))
            return false;
        throw new Error('must be true or false');
    });
}
/** A number, optionally an integer, within bounds. */
function number(options) {
    let schema = z.number({ message: `must be ${options.integer ? 'a whole number' : 'a number'}` });
    if (options.integer)
        schema = schema.int({ message: 'must be a whole number' });
    const unit = options.unit ? ` ${options.unit}` : '';
    if (options.min !== undefined)
        schema = schema.min(options.min, { message: `must be at least ${options.min}${unit}` });
    if (options.max !== undefined)
        schema = schema.max(options.max, { message: `must be at most ${options.max}${unit}` });
    return spec('number', options, (raw) => {
        const value = raw.trim() === '' ? Number.NaN : Number(raw);
        return parseWith(schema, Number.isNaN(value) ? raw : value);
    });
}
/** One of a fixed set of words. */
function choice(choices, options) {
    const schema = z.enum(choices, {
        message: `must be one of ${choices.map((c) => `"${c}"`).join(', ')}`,
    });
    return spec('choice', { ...options, choices }, (raw) => parseWith(schema, raw));
}
/**
 * One item per line: blank lines and lines starting with `#` are skipped, each line is trimmed.
 * The CLI accepts the flag several times, one item each.
 */
function lines(options) {
    return spec('lines', options, (raw) => raw
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#')));
}
// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------
function camelCase(name) {
    return name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}
/**
 * Turns raw strings (empty or missing = not given) into typed inputs: defaults applied, required inputs checked,
 * secrets masked, and every problem reported as a UserError naming the input.
 */
function parseInputs(command, raw, setSecret, describeInput = (name) => `Input "${name}"`) {
    const parsed = {};
    for (const [name, input] of Object.entries(command.inputs)) {
        let value = raw(name);
        if (value !== undefined && input.kind !== 'lines')
            value = value.trim();
        if (value !== undefined && input.secret && value !== '')
            setSecret(value);
        if (value === undefined || value.trim() === '')
            value = input.default;
        if (value === undefined || value.trim() === '') {
            if (input.required) {
                throw new UserError(`${describeInput(name)} is required by ${command.name}: ${lowerFirst(input.description)}`, {
                    input: name,
                });
            }
            parsed[camelCase(name)] = undefined;
            continue;
        }
        try {
            parsed[camelCase(name)] = input.parse(value);
        }
        catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            const shown = input.secret ? '***' : JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
            throw new UserError(`${describeInput(name)} ${reason} (got ${shown}).`, { input: name });
        }
    }
    return parsed;
}
function lowerFirst(sentence) {
    const trimmed = sentence.trim().replace(/\.$/, '');
    return `${trimmed.charAt(0).toLowerCase()}${trimmed.slice(1)}.`;
}
/** Serialises an output value the way both adapters write it. */
function formatOutput(value) {
    if (value === undefined || value === null)
        return '';
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number' || typeof value === 'boolean')
        return String(value);
    return JSON.stringify(value);
}

// EXTERNAL MODULE: ./node_modules/fastest-levenshtein/mod.js
var mod = __nccwpck_require__(916);
;// CONCATENATED MODULE: ./src/lib/suggest.ts

/**
 * The candidate closest to `word`, when it is close enough to be what the user meant (a typo, not another word).
 * Used for "did you mean" hints on unknown keys, inputs, metrics and selectors.
 */
function closestMatch(word, candidates) {
    let best;
    let bestDistance = Number.POSITIVE_INFINITY;
    const lowered = word.toLowerCase();
    for (const candidate of candidates) {
        const d = (0,mod/* distance */.Io)(lowered, candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    if (best === undefined)
        return undefined;
    const tolerance = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
    return bestDistance <= tolerance ? best : undefined;
}
/** ` (did you mean "x"?)` or the empty string, ready to append to a sentence. */
function didYouMean(word, candidates) {
    const match = closestMatch(word, candidates);
    return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

;// CONCATENATED MODULE: ./src/commands/index.ts
const COMMANDS = [];
function findCommand(name) {
    return COMMANDS.find((command) => command.name === name);
}

;// CONCATENATED MODULE: ./src/cli.ts
/**
 * The CLI adapter: `ml-gitops <command> --<input-name> <value> … [--json]`, for CI systems other than GitHub Actions.
 * Logs go to stderr so that stdout carries only the outputs (`name=value` lines, or one JSON object with --json).
 */





/** Parses `--name value`, `--name=value`, bare `--flag` / `--no-flag` for boolean inputs; repeated flags accumulate. */
function parseCliArgs(command, argv) {
    const values = new Map();
    let json = false;
    let help = false;
    const inputs = command.inputs;
    const add = (name, value) => {
        values.set(name, [...(values.get(name) ?? []), value]);
    };
    for (let index = 0; index < argv.length; index++) {
        const argument = argv[index];
        if (argument === '--json') {
            json = true;
            continue;
        }
        if (argument === '--help' || argument === '-h') {
            help = true;
            continue;
        }
        if (!argument.startsWith('--')) {
            throw new UserError(`Unexpected argument "${argument}" for ${command.name}: inputs are given as --<input-name> <value> (see ml-gitops ${command.name} --help).`);
        }
        const equals = argument.indexOf('=');
        let name = equals === -1 ? argument.slice(2) : argument.slice(2, equals);
        let inline = equals === -1 ? undefined : argument.slice(equals + 1);
        if (!(name in inputs) && name.startsWith('no-') && inputs[name.slice(3)]?.kind === 'boolean' && inline === undefined) {
            name = name.slice(3);
            inline = 'false';
        }
        const input = inputs[name];
        if (input === undefined) {
            throw new UserError(`Unknown option --${name} for ${command.name}${didYouMean(name, Object.keys(inputs)).replace('"', '"--')}; run ml-gitops ${command.name} --help for its inputs.`);
        }
        if (inline !== undefined) {
            add(name, inline);
            continue;
        }
        const next = argv[index + 1];
        if (input.kind === 'boolean' && (next === undefined || next.startsWith('--'))) {
            add(name, 'true');
            continue;
        }
        if (next === undefined) {
            throw new UserError(`Option --${name} of ${command.name} needs a value: --${name} <value>.`, { input: name });
        }
        add(name, next);
        index++;
    }
    return { values, json, help };
}
function commandHelp(command) {
    const lines = [`Usage: ml-gitops ${command.name} [--<input> <value> ...] [--json]`, '', command.description, '', 'Inputs:'];
    for (const [name, input] of Object.entries(command.inputs)) {
        const value = input.kind === 'boolean' ? '' : input.kind === 'choice' ? ` <${(input.choices ?? []).join('|')}>` : ' <value>';
        const notes = [];
        if (input.required)
            notes.push('required');
        if (input.default !== undefined)
            notes.push(`default: ${input.default === '' ? '""' : input.default}`);
        else if (input.defaultDescription !== undefined)
            notes.push(`default: ${input.defaultDescription.replaceAll('`', '')}`);
        if (input.kind === 'lines')
            notes.push('repeat for several');
        lines.push(`  --${name}${value}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`);
        lines.push(`      ${input.description}`);
    }
    lines.push('', 'Outputs (printed as name=value lines, or as one JSON object with --json):');
    for (const [name, output] of Object.entries(command.outputs)) {
        lines.push(`  ${name}: ${output.description}`);
    }
    return lines.join('\n');
}
function generalHelp(commands) {
    const width = Math.max(0, ...commands.map((c) => c.name.length));
    return [
        'Usage: ml-gitops <command> [--<input> <value> ...] [--json]',
        '',
        'Commands:',
        ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.description}`),
        '',
        'Run ml-gitops <command> --help for its inputs and outputs.',
    ].join('\n');
}
function cliContext(io, secrets) {
    const mask = (text) => secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
    const log = {
        info: (message) => io.stderr(`${mask(message)}\n`),
        warning: (message, location) => io.stderr(`warning: ${location ? `${formatLocation(location)}: ` : ''}${mask(message)}\n`),
        debug: (message) => {
            if (io.env.RUNNER_DEBUG === '1' || io.env.ML_GITOPS_DEBUG === '1')
                io.stderr(`debug: ${mask(message)}\n`);
        },
        group: async (title, fn) => {
            io.stderr(`${mask(title)}\n`);
            return fn();
        },
    };
    return {
        log,
        summary: (markdown) => io.stderr(`\n${mask(markdown)}\n\n`),
        setSecret: (value) => {
            if (value !== '' && !secrets.includes(value))
                secrets.push(value);
        },
        env: io.env,
        workspace: io.cwd,
        tempDir: io.env.RUNNER_TEMP || external_node_os_default().tmpdir(),
    };
}
/** Runs the CLI; returns the exit code (0 success, 1 a failed run or bad input, 2 bad usage). */
async function runCli(argv, io, commands = COMMANDS) {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
        io.stdout(`${generalHelp(commands)}\n`);
        return name === undefined ? 2 : 0;
    }
    const command = commands.find((candidate) => candidate.name === name);
    if (command === undefined) {
        io.stderr(`error: Unknown command "${name}"${didYouMean(name, commands.map((c) => c.name))}; the commands are ${commands.map((c) => c.name).join(', ')}.\n`);
        return 2;
    }
    const secrets = [];
    const context = cliContext(io, secrets);
    try {
        const args = parseCliArgs(command, rest);
        if (args.help) {
            io.stdout(`${commandHelp(command)}\n`);
            return 0;
        }
        const inputs = parseInputs(command, (input) => args.values.get(input)?.join('\n'), context.setSecret, (input) => `Option --${input}`);
        const outputs = await command.run(inputs, context);
        if (args.json) {
            io.stdout(`${JSON.stringify(outputs, null, 2)}\n`);
        }
        else {
            for (const [output, value] of Object.entries(outputs)) {
                const text = formatOutput(value);
                io.stdout(text.includes('\n') ? `${output}<<EOF\n${text}\nEOF\n` : `${output}=${text}\n`);
            }
        }
        return 0;
    }
    catch (error) {
        const mask = (text) => secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
        if (isUserError(error)) {
            const where = error.location ? `${formatLocation(error.location)}: ` : '';
            io.stderr(`error: ${where}${mask(error.message)}\n`);
        }
        else {
            const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
            io.stderr(`error: ml-gitops failed unexpectedly; this is a bug, please report it with this output:\n${mask(detail)}\n`);
        }
        return 1;
    }
}


/***/ }),

/***/ 921:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _cli_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(282);

process.exitCode = await (0,_cli_js__WEBPACK_IMPORTED_MODULE_0__/* .runCli */ .ak)(process.argv.slice(2), {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
});

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(921);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
