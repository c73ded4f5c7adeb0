/** Reference data: departments, towns and streets, supervision zones. */
import { sqliteTable, text, integer } from 'drizzle-orm/sqlite-core';
import { DEPARTMENT_KINDS } from './vocabulary.ts';

export const departments = sqliteTable('departments', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  kind: text('kind', { enum: DEPARTMENT_KINDS }).notNull(),
  /** Where the outbox sends new-case mail; null = no intake mailbox yet (no staff accounts). */
  intakeEmail: text('intake_email'),
  /** Public hotline shown to parents. */
  phone: text('phone'),
  sortOrder: integer('sort_order').notNull().default(0),
});

export const towns = sqliteTable('towns', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  kind: text('kind', { enum: ['street', 'town'] }).notNull(),
  /** The town/street as a co-handling department (`departments.code`). */
  departmentCode: text('department_code')
    .notNull()
    .references(() => departments.code),
});

export const zones = sqliteTable('zones', {
  id: integer('id').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  /** 责任督学: a public official's name and office phone, published by the district. */
  inspectorName: text('inspector_name').notNull(),
  inspectorPhone: text('inspector_phone'),
});
