// Lint for what the compiler cannot see: a promise nobody awaits (an un-awaited t.rejects,
// a forgotten await on an Okta call) fails the build.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tap/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: {
          allowDefaultProject: [],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // A caller's bad option or argument is each package's InvalidOptionError (a TypeError with a stable code): a plain
    // TypeError would reach the app without one; likewise any other error a user can see.
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "NewExpression[callee.name='TypeError']",
        message: "Throw the package's InvalidOptionError (a TypeError with a stable code), not a plain TypeError.",
      }, {
        selector: "CallExpression[callee.name='TypeError']",
        message: "Throw the package's InvalidOptionError (a TypeError with a stable code), not a plain TypeError.",
      }, {
        // An error a user can see is a class of the package with a stable code. An uncoded one only where nobody sees it
        // (caught, or kept as a `cause`), each saying why on an eslint-disable-next-line comment; the one deliberate
        // exception is passport's asServerError (strategy.ts), a plain Error carrying the client error's own code.
        selector: "NewExpression[callee.name=/^(Error|RangeError|SyntaxError)$/]",
        message: 'An error a caller, a bin user or an app\'s error handler can see is a coded error class of the package (InvalidOptionError, DataFileError, ...), not a plain Error/RangeError/SyntaxError.',
      }, {
        selector: "CallExpression[callee.name=/^(Error|RangeError|SyntaxError)$/]",
        message: 'An error a caller, a bin user or an app\'s error handler can see is a coded error class of the package (InvalidOptionError, DataFileError, ...), not a plain Error/RangeError/SyntaxError.',
      }],
    },
  },
)
