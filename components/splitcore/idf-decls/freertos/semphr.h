/* components/freertos/FreeRTOS-Kernel/include/freertos/semphr.h: in FreeRTOS these are macros
 * over the queue API; declared as functions with the same parameter and result types. */
#pragma once
#include "freertos/FreeRTOS.h"
typedef struct QueueDefinition *SemaphoreHandle_t;
SemaphoreHandle_t xSemaphoreCreateMutex(void);
BaseType_t xSemaphoreTake(SemaphoreHandle_t xSemaphore, TickType_t xBlockTime);
BaseType_t xSemaphoreGive(SemaphoreHandle_t xSemaphore);
