export { main, buildProgram } from './main.ts';
export { UserError } from './errors.ts';
