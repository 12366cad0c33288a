export * from './schema.ts';
export * from './service.ts';
export * from './blinded.ts';
export { DEFAULT_CLEAR_BUDGET, readRegistrationBudget, takeRegistrationBudget } from './budget.ts';
